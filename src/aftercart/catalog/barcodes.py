"""Barcode check digits (python-stdnum), by the type names Connect's docs use.

Every barcode is read into its GTIN-14 form, so that a product scanned as UPC-A, EAN-13, GTIN-14
or UPC-E compares equal to the UPC-A the catalog holds.
"""

from collections.abc import Callable

from stdnum import ean

#: A barcode type's reader: the code as a GTIN-14, or None when it is no valid code of the type.
Reader = Callable[[str], str | None]


def _digits(code: str, length: int) -> bool:
    return len(code) == length and code.isascii() and code.isdigit()


def _check_digit_ok(code: str) -> bool:
    # ``ean.validate`` would first clean the code; plain ASCII digits need only the check digit,
    # which keeps a 100,000-row catalog import fast.
    return ean.calc_check_digit(code[:-1]) == code[-1]


def _gtin(length: int) -> Reader:
    def read(code: str) -> str | None:
        return code.zfill(14) if _digits(code, length) and _check_digit_ok(code) else None

    return read


def upce_to_upca(code: str) -> str | None:
    """The UPC-A a zero-suppressed UPC-E stands for (number system 0 or 1), or None."""
    if not _digits(code, 8) or code[0] not in "01":
        return None
    system, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return system + body + check


def _upce(code: str) -> str | None:
    upca = upce_to_upca(code)
    return upca.zfill(14) if upca is not None and _check_digit_ok(upca) else None


#: Scan types (lower-case) and their readers.
READERS: dict[str, Reader] = {
    "upca": _gtin(12),
    "upc": _gtin(12),
    "upc_a": _gtin(12),
    "upce": _upce,
    "upc_e": _upce,
    "ean13": _gtin(13),
    "ean_13": _gtin(13),
    "ean8": _gtin(8),
    "ean_8": _gtin(8),
    "gtin14": _gtin(14),
}


def is_valid_upc(code: str) -> bool:
    """A UPC-A: twelve digits with a correct check digit."""
    return READERS["upca"](code) is not None


def gtin14(code: str) -> str:
    """A catalog code as a 14-digit GTIN, comparable with what :data:`READERS` give."""
    return code.zfill(14)
