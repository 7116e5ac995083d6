"""The order status page's pure rules: steps, item states, totals, the window."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aftercart.fulfillment.snapshot import Line, ProductCodes
from aftercart.web import rules
from aftercart.web.rules import ItemState, Progress, Quantity

MILK = ProductCodes(1, "Whole Milk", "071842000107", None)
OAT = ProductCodes(2, "Oat Milk", "071842000701", None)


def line(**overrides: Any) -> Line:
    base = Line(
        line_num="1",
        count=2,
        weight=None,
        special_instructions=None,
        replacement_policy="shoppers_choice",
        replacement_items=[],
        added_by_shopper=False,
        shopper_status="not_found",
        delivered_count=None,
        delivered_weight=None,
        replacement_status=None,
        product=MILK,
        replacement_product=None,
    )
    return replace(base, **overrides)


# --- Steps ---------------------------------------------------------------------------------------


def _current(service_type: str, workflow_state: str) -> list[str]:
    steps = rules.steps(service_type, workflow_state)
    return [step.label for step in steps if step.progress is Progress.CURRENT]


@pytest.mark.parametrize(
    ("workflow_state", "current"),
    [
        ("brand_new", "We got your order"),
        ("acknowledged", "We got your order"),
        ("picking", "Shopping in progress"),
        ("verifying_replacements", "Review replacements"),
        ("checkout", "Shopping complete"),
        ("receipt_sanity_check", "Shopping complete"),
        ("delivering", "Out for delivery"),
        ("completed", "Delivered"),
    ],
)
def test_every_delivery_state_has_its_step(workflow_state: str, current: str) -> None:
    assert _current("delivery", workflow_state) == [current]


@pytest.mark.parametrize(
    ("workflow_state", "current"),
    [
        ("acknowledged", "We got your order"),
        ("picking", "Shopping in progress"),
        ("verifying_replacements", "Review replacements"),
        ("bags_check", "Shopping complete"),
        ("staged", "Ready for pickup"),
        ("completed", "Picked up"),
    ],
)
def test_every_pickup_state_has_its_step(workflow_state: str, current: str) -> None:
    assert _current("pickup", workflow_state) == [current]


@pytest.mark.parametrize(
    ("workflow_state", "current"),
    [
        ("brand_new", "We got your order"),
        ("staged_for_delivery", "Packed at the store"),
        ("acknowledged_for_delivery", "Shopper on the way to the store"),
        ("bags_verified", "Shopper at the store"),
        ("delivering", "Out for delivery"),
    ],
)
def test_every_last_mile_state_has_its_step(workflow_state: str, current: str) -> None:
    assert _current("last_mile", workflow_state) == [current]


def test_steps_before_the_current_one_are_done_and_after_it_to_come() -> None:
    steps = rules.steps("delivery", "checkout")
    assert [step.progress for step in steps] == [
        Progress.DONE,
        Progress.DONE,
        Progress.DONE,
        Progress.CURRENT,
        Progress.UPCOMING,
        Progress.UPCOMING,
    ]
    assert rules.headline(steps) == "Shopping complete"


def test_the_last_step_is_current_once_delivered() -> None:
    steps = rules.steps("delivery", "completed")
    assert steps[-1].progress is Progress.CURRENT
    assert all(step.progress is Progress.DONE for step in steps[:-1])


def test_a_canceled_order_has_no_steps() -> None:
    assert rules.steps("delivery", "canceled") == ()
    assert rules.headline(()) == "Canceled"
    assert rules.cancellation_words("retailer_driven") == "The store canceled it."
    assert rules.cancellation_words("other") is None
    assert rules.cancellation_words(None) is None


def test_a_state_no_step_holds_leaves_every_step_to_come() -> None:
    steps = rules.steps("delivery", "staged")
    assert {step.progress for step in steps} == {Progress.UPCOMING}
    assert rules.headline(steps) == "Order status"


# --- Items and totals ----------------------------------------------------------------------------


def test_before_picking_every_line_is_pending() -> None:
    row = rules.item_row(line(shopper_status="found", delivered_count=2), "acknowledged")
    assert (row.state, row.pending, row.charged) == (ItemState.PENDING, Quantity(2), Quantity())


def test_a_line_not_shopped_yet_is_pending() -> None:
    row = rules.item_row(line(), "picking")
    assert row.state is ItemState.PENDING
    assert row.badge == "Not shopped yet"
    assert row.amount == "2 ×"


def test_a_found_line_is_charged_in_full() -> None:
    row = rules.item_row(line(shopper_status="found", delivered_count=2), "picking")
    assert (row.state, row.charged, row.refunded) == (ItemState.FOUND, Quantity(2), Quantity())


def test_a_partly_found_line_is_charged_for_what_was_found_and_refunded_for_the_rest() -> None:
    row = rules.item_row(line(count=3, shopper_status="found", delivered_count=1), "picking")
    assert row.state is ItemState.PARTLY_FOUND
    assert row.note == "1 of 3 found."
    assert (row.charged, row.refunded) == (Quantity(1), Quantity(2))


def test_a_replaced_line_is_charged_for_the_replacement() -> None:
    replaced = line(
        shopper_status="replaced",
        delivered_count=1,
        replacement_product=OAT,
        replacement_status="PENDING",
    )
    row = rules.item_row(replaced, "picking")
    assert row.state is ItemState.REPLACED
    assert row.note is not None
    assert row.note.startswith("Replaced by Oat Milk (1 ×). Waiting for your answer")
    assert (row.charged, row.refunded) == (Quantity(1), Quantity())
    approved = rules.item_row(replace(replaced, replacement_status="APPROVED"), "delivering")
    assert approved.note == "Replaced by Oat Milk (1 ×)."


def test_a_rejected_replacement_is_a_refund_that_names_it() -> None:
    rejected = line(
        shopper_status="to_refund",
        delivered_count=0,
        replacement_product=OAT,
        replacement_status="REJECTED",
    )
    row = rules.item_row(rejected, "picking")
    assert (row.state, row.note) == (ItemState.REFUNDED, "You turned down Oat Milk.")
    assert (row.charged, row.refunded) == (Quantity(), Quantity(2))


def test_a_refunded_line() -> None:
    row = rules.item_row(line(shopper_status="to_refund", delivered_count=0), "staged")
    assert (row.state, row.note, row.refunded) == (ItemState.REFUNDED, None, Quantity(2))


def test_a_line_sold_by_weight_counts_pounds() -> None:
    bananas = line(count=None, weight=Decimal("1.500"))
    assert rules.item_row(bananas, "picking").amount == "1.5 lb"
    found = replace(bananas, shopper_status="found", delivered_weight=Decimal("1.250"))
    row = rules.item_row(found, "picking")
    assert (row.state, row.charged) == (ItemState.FOUND, Quantity(pounds=Decimal("1.25")))


def test_a_line_the_shopper_added_is_charged_and_says_so() -> None:
    added = line(count=1, added_by_shopper=True, shopper_status="found", delivered_count=1)
    row = rules.item_row(added, "picking")
    assert (row.state, row.note, row.charged) == (
        ItemState.FOUND,
        "Added by your shopper.",
        Quantity(1),
    )


def test_a_canceled_order_charges_nothing() -> None:
    row = rules.item_row(line(shopper_status="found", delivered_count=2), "canceled")
    assert (row.state, row.charged, row.refunded, row.pending) == (
        ItemState.CANCELED,
        Quantity(),
        Quantity(),
        Quantity(),
    )


def test_totals_add_up_every_line() -> None:
    rows = [
        rules.item_row(line(shopper_status="found", delivered_count=2), "picking"),
        rules.item_row(line(count=3, shopper_status="found", delivered_count=1), "picking"),
        rules.item_row(line(shopper_status="to_refund", delivered_count=0), "picking"),
        rules.item_row(line(), "picking"),
        rules.item_row(line(count=None, weight=Decimal("0.75")), "picking"),
    ]
    totals = rules.totals(rows)
    assert totals.charged == Quantity(3)
    assert totals.refunded == Quantity(4)
    assert totals.pending == Quantity(2, Decimal("0.75"))
    assert str(totals.pending) == "2 items and 0.75 lb"
    assert str(Quantity(1)) == "1 item"
    assert str(Quantity()) == "nothing"


# --- The window ----------------------------------------------------------------------------------


def test_the_window_is_in_the_stores_time() -> None:
    starts = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
    ends = datetime(2026, 3, 3, 20, 30, tzinfo=UTC)
    text = rules.window_text(starts, ends, ZoneInfo("America/Los_Angeles"))
    assert text == "Tuesday, March 3, 10:00\u00a0AM – 12:30\u00a0PM\u00a0PST"


def test_a_window_over_midnight_names_both_days() -> None:
    starts = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
    ends = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    text = rules.window_text(starts, ends, UTC)
    assert text.replace("\u00a0", " ") == (
        "Tuesday, March 3, 11:00 PM – Wednesday, March 4, 1:00 AM UTC"
    )
    assert rules.window_text(None, None, UTC) == "Not scheduled yet"
