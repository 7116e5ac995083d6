"""The pure rules of the sandbox's read endpoints, without a server."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from aftercart.sandbox import read_rules as rules
from aftercart.web.rules import ItemState
from tests.factories import upc


@dataclass(frozen=True)
class Named:
    name: str


@dataclass(frozen=True)
class Line:
    line_num: str = "1"
    shopper_status: str = "not_found"
    replacement_status: str | None = None
    product: Named = Named("Whole Milk")
    replacement_product: Named | None = None
    count: int | None = 2
    weight: Decimal | None = None
    added_by_shopper: bool = False
    delivered_count: int | None = None
    delivered_weight: Decimal | None = None


@pytest.mark.parametrize(
    ("batch_type", "state", "orders", "open_"),
    [
        ("delivery", "picking", ["picking"], True),
        ("delivery", "acknowledged", ["acknowledged", "canceled"], True),
        ("delivery", "picking", ["canceled"], False),
        ("delivery", "completed", ["completed"], False),
        ("pickup", "bags_check", ["bags_check"], True),
        ("pickup", "staged", ["staged"], False),
        ("runner_customer", "at_store", ["at_store"], True),
        ("unknown", "picking", ["picking"], False),
    ],
)
def test_which_batches_are_open(
    batch_type: str, state: str, orders: list[str], open_: bool
) -> None:
    assert rules.batch_open(batch_type, state, orders) is open_


def test_the_next_state() -> None:
    assert rules.next_state("delivery", "acknowledged") == "picking"
    assert rules.next_state("pickup", "receipt_sanity_check") == "bags_check"
    assert rules.next_state("delivery", "completed") is None
    assert rules.next_state("delivery", "nowhere") is None


def test_items_are_editable_only_while_picking() -> None:
    assert rules.items_editable("picking")
    assert rules.items_editable("verifying_replacements")
    assert not rules.items_editable("acknowledged")
    assert not rules.items_editable("checkout")


@pytest.mark.parametrize(
    ("line", "workflow_state", "state", "text"),
    [
        (Line(), "picking", ItemState.PENDING, "Pending"),
        (Line(shopper_status="found"), "acknowledged", ItemState.PENDING, "Pending"),
        (Line(shopper_status="found"), "picking", ItemState.FOUND, "Found"),
        (
            Line(shopper_status="found", delivered_count=1),
            "picking",
            ItemState.PARTLY_FOUND,
            "Partly found (1 of 2)",
        ),
        (
            Line(
                shopper_status="replaced",
                replacement_status="PENDING",
                replacement_product=Named("Oat Milk"),
            ),
            "picking",
            ItemState.REPLACED,
            "Replaced by Oat Milk (waiting for the customer)",
        ),
        (
            Line(
                shopper_status="replaced",
                replacement_status="APPROVED",
                replacement_product=Named("Oat Milk"),
            ),
            "verifying_replacements",
            ItemState.REPLACED,
            "Replaced by Oat Milk (approved)",
        ),
        (
            Line(
                shopper_status="to_refund",
                replacement_status="REJECTED",
                replacement_product=Named("Butter"),
            ),
            "picking",
            ItemState.REFUNDED,
            "Refunded (the customer rejected Butter)",
        ),
        (Line(shopper_status="to_refund"), "picking", ItemState.REFUNDED, "Refunded"),
        (
            Line(shopper_status="found", added_by_shopper=True, count=1, delivered_count=1),
            "picking",
            ItemState.FOUND,
            "Found (added by the shopper)",
        ),
        (
            Line(shopper_status="found", count=None, weight=Decimal("1.5")),
            "picking",
            ItemState.FOUND,
            "Found",
        ),
        (Line(shopper_status="found"), "canceled", ItemState.CANCELED, "Canceled"),
    ],
)
def test_how_a_line_reads(line: Line, workflow_state: str, state: ItemState, text: str) -> None:
    assert rules.line_state(line, workflow_state) == rules.LineState(state, text)


def test_a_typed_barcode_reads_as_a_scan_of_its_type() -> None:
    code = upc(42)
    upca = rules.read_barcode(f" {code} ")
    assert upca == rules.TypedScan(code, "upca", "00" + code)
    assert rules.read_barcode("0" + code) == rules.TypedScan("0" + code, "ean13", "00" + code)
    assert rules.read_barcode("00" + code) == rules.TypedScan("00" + code, "gtin14", "00" + code)
    assert rules.read_barcode("96385074") == rules.TypedScan("96385074", "ean8", "00000096385074")
    # A UPC-E (zero-suppressed) reads as the UPC-A it stands for.
    upce = rules.read_barcode("04252614")
    assert upce is not None
    assert (upce.scanned_string_type, upce.gtin) == ("upce", "00042100005264")
    assert rules.read_barcode(code[:-1] + str((int(code[-1]) + 1) % 10)) is None
    assert rules.read_barcode("milk") is None


def test_the_forms_a_catalog_holds_a_code_in() -> None:
    assert rules.catalog_codes("00071842000107") == [
        "00071842000107",
        "0071842000107",
        "071842000107",
    ]
    assert rules.catalog_codes("00000096385074")[-1] == "96385074"
    assert rules.catalog_codes("10071842000104") == ["10071842000104"]
