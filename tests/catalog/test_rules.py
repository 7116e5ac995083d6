from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from aftercart.catalog.rules import (
    SHAPE_PROBLEM,
    Record,
    RowInvalid,
    parse_bool,
    product_values,
    sold_by_weight,
    store_values,
)
from tests.factories import upc

STORE = {
    "location_code": "sf-1",
    "name": "Corner Grocer",
    "address_line_1": "1 Market St",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "latitude": "37.7936",
    "longitude": "-122.3958",
    "pickup": "true",
    "delivery": "no",
}


def problems(
    record: Record, parse: Callable[[Record], dict[str, Any]] = product_values
) -> list[str]:
    with pytest.raises(RowInvalid) as caught:
        parse(record)
    return caught.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" 1 ", True),
        ("Yes", True),
        ("false", False),
        ("0", False),
        ("NO", False),
    ],
)
def test_parse_bool_words(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", None, "y", "2", "on", "truth"])
def test_parse_bool_refuses_anything_else(text: str | None) -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool(text)


@pytest.mark.parametrize("size", ["per lb", "Per LB", "$/kg", "per 1 pound", "2.99 per kg"])
def test_sizes_priced_per_weight_are_sold_by_weight(size: str) -> None:
    assert sold_by_weight(size)


@pytest.mark.parametrize("size", [None, "", "1 lb", "2 lb bag", "16 oz", "12 ct", "per each"])
def test_other_sizes_are_counted(size: str | None) -> None:
    assert not sold_by_weight(size)


def test_product_row_values() -> None:
    values = product_values(
        {"upc": f" {upc(7)} ", "rrc": "", "name": "Milk", "size": "1 gal", "unit_price": "$4.29"}
    )
    assert values == {
        "upc": upc(7),
        "rrc": None,
        "name": "Milk",
        "size": "1 gal",
        "unit_price": Decimal("4.29"),
        "sold_by_weight": False,
    }


def test_rrc_only_row_sold_by_weight() -> None:
    values = product_values(
        {"upc": "", "rrc": "PLU-4011", "name": "Bananas", "size": "per lb", "unit_price": ""}
    )
    assert (values["upc"], values["rrc"], values["unit_price"]) == (None, "PLU-4011", None)
    assert values["sold_by_weight"] is True


@pytest.mark.parametrize(
    ("upc_text", "problem"),
    [
        ("036000291453", "upc 036000291453 is not a valid UPC-A"),
        ("36000291452", "upc 36000291452 is not a valid UPC-A"),
        ("03600029145X", "upc 03600029145X is not a valid UPC-A"),
        ("0036000291452", "upc is longer than 12 characters"),
    ],
)
def test_upc_must_be_a_valid_upc_a(upc_text: str, problem: str) -> None:
    found = problems({"upc": upc_text, "name": "Tissue"})
    assert len(found) == 1
    assert found[0].startswith(problem)


def test_every_problem_of_a_row_is_named() -> None:
    found = problems({"upc": "", "rrc": " ", "name": "", "unit_price": "-1"})
    assert found == [
        "upc and rrc are both empty",
        "name is empty",
        "unit_price -1 is outside 0..99999999.99",
    ]


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("abc", "unit_price 'abc' is not a number"),
        ("1.999", "unit_price 1.999 has more than two decimals"),
        ("NaN", "unit_price NaN is outside"),
        ("100000000", "unit_price 100000000 is outside"),
    ],
)
def test_unit_price_problems(price: str, problem: str) -> None:
    assert problems({"rrc": "A1", "name": "Thing", "unit_price": price})[0].startswith(problem)


def test_row_with_wrong_field_count_is_invalid() -> None:
    record = {"rrc": "A1", "name": "Thing", SHAPE_PROBLEM: "has 7 fields, the header has 5"}
    assert problems(record) == ["has 7 fields, the header has 5"]


def test_store_row_values() -> None:
    values = store_values(STORE)
    assert values["latitude"] == pytest.approx(37.7936)
    assert (values["pickup"], values["delivery"]) == (True, False)
    assert values["postal_code"] == "94105"


def test_store_row_problems() -> None:
    record = {**STORE, "name": "", "latitude": "91", "longitude": "east", "pickup": "maybe"}
    assert problems(record, store_values) == [
        "name is empty",
        "latitude 91 is outside -90..90",
        "longitude 'east' is not a number",
        "pickup 'maybe' is not a boolean (true/false, 1/0, yes/no)",
    ]
