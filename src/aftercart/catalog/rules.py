"""Rules for catalog and store import rows: plain values in, plain values or problems out."""

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from aftercart.catalog.barcodes import is_valid_upc

PRODUCT_COLUMNS = ("upc", "rrc", "name", "size", "unit_price")
STORE_COLUMNS = (
    "location_code",
    "name",
    "address_line_1",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
    "pickup",
    "delivery",
)

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})

#: ``per lb``, ``/kg``, ``per 1 pound``...: a price per unit of weight, so sold by weight.
_BY_WEIGHT = re.compile(r"(?:\bper|/)\s*(?:1\s*)?(?:lbs?|pounds?|kgs?|kilograms?)\b", re.IGNORECASE)
_MAX_PRICE = Decimal("99999999.99")

Record = Mapping[str, str | None]
#: The key under which the file reader notes a record with the wrong number of fields.
SHAPE_PROBLEM = "_shape"


class RowInvalid(ValueError):
    """A row that cannot be imported; ``problems`` says why, one phrase each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_bool(text: str | None) -> bool:
    """``true/false``, ``1/0`` or ``yes/no``, in any case."""
    word = (text or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a boolean (true/false, 1/0, yes/no)")


def sold_by_weight(size: str | None) -> bool:
    """Whether a size such as ``per lb`` or ``$/kg`` prices the product by weight."""
    return bool(size and _BY_WEIGHT.search(size))


def _text(record: Record, column: str) -> str | None:
    value = (record.get(column) or "").strip()
    return value or None


class _Checker:
    """Collects every problem of a row, so that one report names them all."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.problems: list[str] = []
        if record.get(SHAPE_PROBLEM):
            self.problems.append(str(record[SHAPE_PROBLEM]))

    def text(self, column: str, max_length: int, *, required: bool = False) -> str | None:
        value = _text(self.record, column)
        if value is None:
            if required:
                self.problems.append(f"{column} is empty")
        elif len(value) > max_length:
            self.problems.append(f"{column} is longer than {max_length} characters")
        return value

    def number(self, column: str, low: float, high: float) -> float:
        raw = _text(self.record, column)
        try:
            value = float(raw or "")
        except ValueError:
            self.problems.append(f"{column} {raw!r} is not a number")
            return 0.0
        if not (math.isfinite(value) and low <= value <= high):
            self.problems.append(f"{column} {raw} is outside {low:g}..{high:g}")
        return value

    def boolean(self, column: str) -> bool:
        try:
            return parse_bool(self.record.get(column))
        except ValueError as exc:
            self.problems.append(f"{column} {exc}")
            return False

    def done(self, values: dict[str, Any]) -> dict[str, Any]:
        if self.problems:
            raise RowInvalid(self.problems)
        return values


def _price(check: _Checker) -> Decimal | None:
    raw = _text(check.record, "unit_price")
    if raw is None:
        return None
    try:
        price = Decimal(raw.removeprefix("$"))
    except InvalidOperation:
        check.problems.append(f"unit_price {raw!r} is not a number")
        return None
    if not price.is_finite() or price < 0 or price > _MAX_PRICE:
        check.problems.append(f"unit_price {raw} is outside 0..{_MAX_PRICE}")
    elif price != price.quantize(Decimal("0.01")):
        check.problems.append(f"unit_price {raw} has more than two decimals")
    return price


def product_values(record: Record) -> dict[str, Any]:
    """The column values of a ``products`` row, or :class:`RowInvalid`."""
    check = _Checker(record)
    upc = check.text("upc", 12)
    rrc = check.text("rrc", 64)
    if upc is None and rrc is None:
        check.problems.append("upc and rrc are both empty")
    elif upc is not None and len(upc) <= 12 and not is_valid_upc(upc):
        check.problems.append(f"upc {upc} is not a valid UPC-A (12 digits, correct check digit)")
    name = check.text("name", 300, required=True)
    size = check.text("size", 60)
    price = _price(check)
    return check.done(
        {
            "upc": upc,
            "rrc": rrc,
            "name": name,
            "size": size,
            "unit_price": price,
            "sold_by_weight": sold_by_weight(size),
        }
    )


def store_values(record: Record) -> dict[str, Any]:
    """The column values of a ``stores`` row, or :class:`RowInvalid`."""
    check = _Checker(record)
    values: dict[str, Any] = {
        "location_code": check.text("location_code", 64, required=True),
        "name": check.text("name", 200, required=True),
        "address_line_1": check.text("address_line_1", 300, required=True),
        "city": check.text("city", 120, required=True),
        "state": check.text("state", 60, required=True),
        "postal_code": check.text("postal_code", 20, required=True),
        "latitude": check.number("latitude", -90, 90),
        "longitude": check.number("longitude", -180, 180),
        "pickup": check.boolean("pickup"),
        "delivery": check.boolean("delivery"),
    }
    return check.done(values)
