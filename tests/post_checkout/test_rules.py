from decimal import Decimal

import pytest

from aftercart.errors import AftercartError
from aftercart.post_checkout import rules
from aftercart.post_checkout.rules import Decision, check_decision


@pytest.mark.parametrize(
    ("shopper_status", "expected"),
    [
        ("not_found", "pending"),
        ("found", "found"),
        ("replaced", "replaced"),
        ("to_refund", "refunded"),
    ],
)
def test_item_status_maps_every_shopper_status(shopper_status: str, expected: str) -> None:
    assert rules.item_status(shopper_status) == expected


def test_item_status_rejects_an_unknown_shopper_status() -> None:
    with pytest.raises(KeyError):
        rules.item_status("lost")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("(415) 555-4567", "(***) ***-4567"),
        ("+14155554567", "+*******4567"),
        ("415.555.4567", "***.***.4567"),
        ("4567", "4567"),
        ("12", "12"),
        ("", ""),
    ],
)
def test_mask_phone_hides_every_digit_but_the_last_four(phone: str, masked: str) -> None:
    assert rules.mask_phone(phone) == masked


def test_ordered_quantity_is_the_count_or_one_for_weighed_lines() -> None:
    assert rules.ordered_quantity(3) == 3
    assert rules.ordered_quantity(None) == 1


def test_replacement_quantity() -> None:
    assert rules.replacement_quantity(delivered_count=4, delivered_weight=None, ordered=2) == 4
    assert rules.replacement_quantity(delivered_count=0, delivered_weight=None, ordered=2) == 0
    weighed = rules.replacement_quantity(
        delivered_count=None, delivered_weight=Decimal("1.2"), ordered=2
    )
    assert weighed == 1
    assert rules.replacement_quantity(delivered_count=None, delivered_weight=None, ordered=2) == 2


@pytest.mark.parametrize("requested", ["APPROVED", "REJECTED"])
def test_a_pending_replacement_is_decided_while_picking(requested: str) -> None:
    assert check_decision(current="PENDING", requested=requested, picking=True) is Decision.APPLY


@pytest.mark.parametrize("picking", [True, False])
@pytest.mark.parametrize("decision", ["APPROVED", "REJECTED"])
def test_the_same_decision_again_changes_nothing(decision: str, picking: bool) -> None:
    assert check_decision(current=decision, requested=decision, picking=picking) is (
        Decision.UNCHANGED
    )


@pytest.mark.parametrize(
    ("current", "requested"), [("APPROVED", "REJECTED"), ("REJECTED", "APPROVED")]
)
def test_a_decision_cannot_be_reversed(current: str, requested: str) -> None:
    with pytest.raises(AftercartError, match="cannot be reversed") as caught:
        check_decision(current=current, requested=requested, picking=True)
    assert caught.value.http_status == 400


def test_nothing_to_decide_without_a_replacement() -> None:
    with pytest.raises(AftercartError, match="no replacement") as caught:
        check_decision(current=None, requested="APPROVED", picking=True)
    assert caught.value.http_status == 400


def test_a_pending_replacement_cannot_be_decided_outside_picking() -> None:
    with pytest.raises(AftercartError, match="being picked") as caught:
        check_decision(current="PENDING", requested="APPROVED", picking=False)
    assert caught.value.http_status == 400
