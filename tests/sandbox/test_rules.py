"""The sandbox's pure rules, without a server."""

from decimal import Decimal

import pytest

from aftercart.catalog import barcodes
from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors
from aftercart.events import names
from aftercart.sandbox import rules
from aftercart.sandbox.rules import Outcome, Scan
from tests.factories import upc


def _keys(error: AftercartError) -> list[str | None]:
    errors = error.errors if isinstance(error, MultipleErrors) else [error]
    return [e.key for e in errors]


# --- Workflows -----------------------------------------------------------------------------------


def test_delivery_and_pickup_workflows_are_the_documented_ones() -> None:
    assert rules.WORKFLOWS["delivery"] == (
        "brand_new",
        "acknowledged",
        "picking",
        "verifying_replacements",
        "checkout",
        "receipt_sanity_check",
        "delivering",
        "completed",
    )
    # Connect's pickup table ends at staged: a runner_customer batch takes it from there.
    assert rules.WORKFLOWS["pickup"][-3:] == ("receipt_sanity_check", "bags_check", "staged")
    assert "delivering" not in rules.WORKFLOWS["pickup"]
    assert rules.WORKFLOWS["runner_customer"] == (
        "brand_new",
        "at_store",
        "bags_verified",
        "completed",
    )


@pytest.mark.parametrize("batch_type", ["delivery", "pickup", "runner_customer"])
def test_one_step_walks_the_whole_workflow(batch_type: str) -> None:
    workflow = rules.WORKFLOWS[batch_type]
    state, seen = "brand_new", ["brand_new"]
    while state != workflow[-1]:
        (state,) = rules.steps_to(batch_type, state)
        seen.append(state)
    assert tuple(seen) == workflow


def test_steps_to_a_named_state_pass_through_every_state_between() -> None:
    assert rules.steps_to("delivery", "picking", "delivering") == [
        "verifying_replacements",
        "checkout",
        "receipt_sanity_check",
        "delivering",
    ]
    assert rules.steps_to("pickup", "checkout", "staged") == [
        "receipt_sanity_check",
        "bags_check",
        "staged",
    ]


@pytest.mark.parametrize(
    ("batch_type", "current", "target"),
    [
        ("delivery", "picking", "picking"),
        ("delivery", "checkout", "acknowledged"),
        ("delivery", "picking", "staged"),
        ("pickup", "picking", "delivering"),
        ("delivery", "picking", "nonsense"),
    ],
)
def test_a_target_that_is_not_ahead_is_refused(batch_type: str, current: str, target: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        rules.steps_to(batch_type, current, target)
    assert caught.value.key == "workflow_state"
    assert caught.value.code == 1001


@pytest.mark.parametrize(("batch_type", "last"), [("delivery", "completed"), ("pickup", "staged")])
def test_the_last_state_has_no_next_step(batch_type: str, last: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        rules.steps_to(batch_type, last)
    assert caught.value.key == "workflow_state"
    if batch_type == "pickup":
        assert "runner_customer" in caught.value.message


def test_a_runner_batch_starts_brand_new_and_its_signals_have_their_states() -> None:
    assert rules.initial_steps("runner_customer", None) == []
    assert rules.initial_steps("runner_customer", "bags_verified") == ["at_store", "bags_verified"]
    rules.check_signal("brand_new", "pickup_geofence_reached")
    rules.check_signal("at_store", "runner_not_found")
    rules.check_signal("bags_verified", "unable_to_find_customer")
    for state, signal in [
        ("at_store", "pickup_geofence_reached"),
        ("brand_new", "runner_not_found"),
        ("brand_new", "unable_to_find_customer"),
    ]:
        with pytest.raises(InvalidParameter) as caught:
            rules.check_signal(state, signal)
        assert caught.value.key == "workflow_state"


@pytest.mark.parametrize("batch_type", ["delivery", "delivery_only"])
def test_customer_missing_is_a_signal_of_a_delivering_batch(batch_type: str) -> None:
    assert rules.signal_named(batch_type, "customer_missing") == "customer_missing"
    assert rules.signal_named(batch_type, "completed") is None
    rules.check_signal("delivering", "customer_missing", batch_type)
    with pytest.raises(InvalidParameter) as caught:
        rules.check_signal("picking", "customer_missing", batch_type)
    assert caught.value.key == "workflow_state"
    assert rules.signal_named("pickup", "customer_missing") is None
    assert rules.signal_named("runner_customer", "customer_missing") is None


def test_a_new_batch_walks_to_acknowledged_or_the_requested_state() -> None:
    assert rules.initial_steps("delivery", None) == ["acknowledged"]
    assert rules.initial_steps("delivery", "picking") == ["acknowledged", "picking"]
    with pytest.raises(InvalidParameter):
        rules.initial_steps("delivery", "brand_new")


def test_leaving_picking() -> None:
    assert rules.leaves_picking("verifying_replacements", "checkout")
    assert rules.leaves_picking("picking", "checkout")
    assert not rules.leaves_picking("picking", "verifying_replacements")
    assert not rules.leaves_picking("acknowledged", "picking")
    assert not rules.leaves_picking("checkout", "receipt_sanity_check")


def test_states_with_callbacks() -> None:
    assert rules.STATE_EVENTS["completed"] == names.DELIVERED
    assert rules.STATE_EVENTS["checkout"] == names.CHECKOUT
    assert "verifying_replacements" not in rules.STATE_EVENTS
    assert "receipt_sanity_check" not in rules.STATE_EVENTS


# --- Item updates --------------------------------------------------------------------------------


def _update(**given: object) -> Outcome:
    values: dict[str, object] = {
        "status": "found",
        "delivered_count": None,
        "delivered_weight": None,
        "has_replacement": False,
        "ordered_count": 3,
        "ordered_weight": None,
    }
    values.update(given)
    return rules.check_item_update(**values)  # type: ignore[arg-type]


def test_found_without_amounts_is_found_in_full() -> None:
    assert _update() == Outcome("found", 3, None)
    assert _update(ordered_count=None, ordered_weight=Decimal("1.5")) == Outcome(
        "found", None, Decimal("1.500")
    )


def test_found_may_be_partial_but_never_more_than_ordered() -> None:
    assert _update(delivered_count=2) == Outcome("found", 2, None)
    with pytest.raises(InvalidParameter) as caught:
        _update(delivered_count=4)
    assert caught.value.key == "delivered_count"
    with pytest.raises(InvalidParameter, match="to_refund"):
        _update(delivered_count=0)


@pytest.mark.parametrize("status", [None, ""])
def test_status_is_required(status: str | None) -> None:
    with pytest.raises(InvalidParameter) as caught:
        _update(status=status)
    assert (caught.value.message, caught.value.key) == ("can't be blank", "status")


def test_unknown_status_is_not_in_the_list() -> None:
    with pytest.raises(InvalidParameter) as caught:
        _update(status="lost")
    assert (caught.value.message, caught.value.key) == ("is not included in the list", "status")


def test_negative_amounts_name_their_field_and_are_reported_together() -> None:
    with pytest.raises(MultipleErrors) as caught:
        _update(delivered_count=-1, delivered_weight=Decimal(-2))
    assert _keys(caught.value) == ["delivered_count", "delivered_weight"]
    with pytest.raises(InvalidParameter) as single:
        _update(status="replaced", has_replacement=True, delivered_count=rules.MAX_COUNT + 1)
    assert single.value.key == "delivered_count"


def test_to_refund_delivers_nothing() -> None:
    assert _update(status="to_refund") == Outcome("to_refund", 0, None)
    assert _update(status="to_refund", delivered_count=0) == Outcome("to_refund", 0, None)
    with pytest.raises(InvalidParameter) as caught:
        _update(status="to_refund", delivered_count=1)
    assert caught.value.key == "delivered_count"


def test_replaced_needs_a_replacement_and_may_deliver_more_than_ordered() -> None:
    with pytest.raises(InvalidParameter) as caught:
        _update(status="replaced")
    assert (caught.value.message, caught.value.key) == ("can't be blank", "replacement_item")
    assert _update(status="replaced", has_replacement=True) == Outcome("replaced", 3, None)
    assert _update(status="replaced", has_replacement=True, delivered_count=5).delivered_count == 5


def test_not_found_resets_whatever_amounts_come_with_it() -> None:
    assert _update(status="not_found", delivered_count=2) == Outcome("not_found", None, None)


def test_weights_are_kept_to_the_gram() -> None:
    outcome = _update(delivered_weight=Decimal("1.23456"), ordered_count=None)
    assert outcome.delivered_weight == Decimal("1.235")


def test_added_items_start_found_with_one_unit() -> None:
    added = rules.check_added_item(has_item=True, delivered_count=None, delivered_weight=None)
    assert added == Outcome("found", 1, None)
    with pytest.raises(InvalidParameter) as caught:
        rules.check_added_item(has_item=False, delivered_count=None, delivered_weight=None)
    assert (caught.value.message, caught.value.key) == ("can't be blank", "item")
    with pytest.raises(InvalidParameter):
        rules.check_added_item(has_item=True, delivered_count=0, delivered_weight=None)


@pytest.mark.parametrize(("upc_", "rrc"), [(None, None), ("012", "abc"), ("", "")])
def test_an_item_reference_names_exactly_one_code(upc_: str | None, rrc: str | None) -> None:
    with pytest.raises(InvalidParameter) as caught:
        rules.check_item_reference(upc_, rrc, key="replacement_item")
    assert caught.value.key == "replacement_item"


# --- Scans ---------------------------------------------------------------------------------------


def test_a_upc_a_scan_matches_its_ean13_form() -> None:
    code = upc(7)
    scans = [Scan(code, "UPCA"), Scan("0" + code, "ean13"), Scan(code.zfill(14), "gtin14")]
    assert rules.scan_errors(scans, expected=[code]) == []


@pytest.mark.parametrize(
    ("upce", "upca"),
    [
        ("04252614", "042100005264"),  # last digit 0-2: manufacturer's last digit moved
        ("01234565", "012345000065"),  # last digit 5-9: the product's last digit
        ("01234531", "012300000451"),  # last digit 3
        ("01234543", "012340000053"),  # last digit 4
    ],
)
def test_a_upc_e_scan_matches_the_upc_a_it_stands_for(upce: str, upca: str) -> None:
    assert barcodes.upce_to_upca(upce) == upca
    assert rules.scan_errors([Scan(upce, "UPCE")], expected=[upca]) == []


@pytest.mark.parametrize("upce", ["04252615", "24252614", "0425261", "0425261x"])
def test_a_upc_e_scan_needs_its_check_digit_and_number_system_0_or_1(upce: str) -> None:
    errors = rules.scan_errors([Scan(upce, "upc_e")], expected=["042100005264"])
    assert [(e.key, e.message) for e in errors] == [("scans[0]", "is not a valid upc_e barcode")]


def test_bad_scans_are_reported_by_index() -> None:
    code = upc(7)
    wrong_check_digit = code[:-1] + str((int(code[-1]) + 1) % 10)
    scans = [
        Scan(code, "upca"),
        Scan(code, "qr_code"),
        Scan(wrong_check_digit, "upca"),
        Scan(upc(8), "upca"),
    ]
    errors = rules.scan_errors(scans, expected=[code, None])
    assert [e.key for e in errors] == ["scans[1]", "scans[2]", "scans[3]"]
    assert "unknown" in errors[0].message
    assert "another product" in errors[2].message


def test_any_valid_scan_is_accepted_when_no_expected_code_is_comparable() -> None:
    assert rules.scan_errors([Scan(upc(9), "upca")], expected=["RRC-1", None]) == []


def test_scans_are_stored_trimmed_with_lower_case_types() -> None:
    assert rules.scans_to_store([Scan(" 012 ", "UPCA")]) == [
        {"scanned_string": "012", "scanned_string_type": "upca"}
    ]


# --- Chat ----------------------------------------------------------------------------------------


def test_messages_are_trimmed_and_limited() -> None:
    assert rules.check_message("  hello \n") == "hello"
    assert rules.check_message("x" * 1000) == "x" * 1000
    for bad in (None, "", "   "):
        with pytest.raises(InvalidParameter, match="can't be blank"):
            rules.check_message(bad)
    with pytest.raises(InvalidParameter, match="too long"):
        rules.check_message("x" * 1001)
