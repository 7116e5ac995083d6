"""Barcode check digits (python-stdnum), by the type names Connect's docs use."""

from collections.abc import Callable

from stdnum import ean

UPC_LENGTHS = (12,)


def _gtin(length: int) -> Callable[[str], bool]:
    def check(code: str) -> bool:
        # ``ean.validate`` would first clean the code; plain ASCII digits need only the check
        # digit, which keeps a 100,000-row catalog import fast.
        if len(code) != length or not (code.isascii() and code.isdigit()):
            return False
        return ean.calc_check_digit(code[:-1]) == code[-1]

    return check


#: Scan types (lower-case) and their validators.
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "upca": _gtin(12),
    "upc": _gtin(12),
    "upc_a": _gtin(12),
    "ean13": _gtin(13),
    "ean_13": _gtin(13),
    "ean8": _gtin(8),
    "ean_8": _gtin(8),
    "gtin14": _gtin(14),
}


def is_valid_upc(code: str) -> bool:
    """A UPC-A: twelve digits with a correct check digit."""
    return VALIDATORS["upca"](code)


def gtin14(code: str) -> str:
    """The code as a 14-digit GTIN, so that a UPC-A and its EAN-13 form compare equal."""
    return code.zfill(14)
