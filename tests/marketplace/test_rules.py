"""The formats of Yandex Eats' "Send the customer's feedback on the order"
(https://yandex.com/dev/eda-vendor/doc/en/ref/Feedback/partner.feedback.post) and the mapping of
every validation problem, without a server."""

import json

import pytest
from pydantic import ValidationError

from aftercart.marketplace import rules
from aftercart.marketplace.schemas import FeedbackPush
from tests.marketplace.helpers import EXAMPLE_BODY, feedback_body


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1937-01-01T12:00:27.870000+00:20", True),
        ("2026-11-23T09:15:00.1Z", True),
        ("2026-11-23T09:15:00.123456-05:00", True),
        ("2026-11-23T09:15:00+03:00", False),
        ("2026-11-23T09:15:00.1234567+03:00", False),
        ("2026-11-23 09:15:00.123+03:00", False),
        ("2026-11-23T09:15:00.123", False),
        ("2026-11-23T09:15:00.123+0300", False),
        ("2026-11-23T09:15:00.123+24:00", False),
        ("2026-02-30T09:15:00.123+03:00", False),
        ("2026-11-23t09:15:00.123+03:00", False),
    ],
)
def test_created_at_needs_fractional_seconds(value: str, valid: bool) -> None:
    body = feedback_body(createdAt=value)
    if valid:
        FeedbackPush.model_validate_json(json.dumps(body))
    else:
        with pytest.raises(ValidationError):
            FeedbackPush.model_validate_json(json.dumps(body))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1937-01-01T12:00:27+00:20", True),
        ("2026-11-23T09:15:00Z", True),
        ("2026-11-23T09:15:00.870000+00:20", False),
        ("2026-11-23T09:15:00", False),
        ("2026-11-23T09:15+03:00", False),
        ("2026-13-01T09:15:00+03:00", False),
        ("2026-11-23T09:15:00+03", False),
    ],
)
def test_delivered_and_taken_at_have_no_fractional_seconds(value: str, valid: bool) -> None:
    for field in ("deliveredAt", "takenAt"):
        body = feedback_body(**{field: value})
        if valid:
            FeedbackPush.model_validate_json(json.dumps(body))
        else:
            with pytest.raises(ValidationError):
                FeedbackPush.model_validate_json(json.dumps(body))


def test_the_example_is_valid() -> None:
    push = FeedbackPush.model_validate_json(json.dumps(EXAMPLE_BODY))
    assert push.feedback.rating == 5
    assert push.order_info is not None
    assert push.order_info.items[0].modifications[0].quantity == 3


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("feedback", "rating"), "feedback.rating"),
        (
            ("orderInfo", "items", 0, "modifications", 2, "id"),
            "orderInfo.items[0].modifications[2].id",
        ),
    ],
)
def test_field_path(loc: tuple[int | str, ...], path: str) -> None:
    assert rules.field_path(loc) == path


def test_every_problem_becomes_one_error() -> None:
    body = feedback_body(rating=9, eatsId="x", orderId=None)
    with pytest.raises(ValidationError) as caught:
        FeedbackPush.model_validate_json(json.dumps(body))
    problems = rules.validation_problems(caught.value.errors())
    assert [(p.key, p.code, p.message) for p in problems] == [
        (
            "feedback.eatsId",
            101,
            "must look like 190330-12345678 (6 digits, a dash, 7 or 8 digits)",
        ),
        ("feedback.orderId", 100, "is required"),
        ("feedback.rating", 101, "must be at most 5"),
    ]


@pytest.mark.parametrize(
    ("feedback_id", "eats_id", "key"),
    [("abc", "190330-12345678", "id:abc"), (None, "190330-12345678", "eats:190330-12345678")],
)
def test_dedupe_key(feedback_id: str | None, eats_id: str, key: str) -> None:
    assert rules.dedupe_key(feedback_id, eats_id) == key


def test_a_dedupe_key_too_long_for_its_column_is_hashed_the_same_way_each_time() -> None:
    long_id = "0" * 255
    key = rules.dedupe_key(long_id, "261123-12345678")
    assert len(key) <= rules.DEDUPE_KEY_MAX
    assert key == rules.dedupe_key(long_id, "261123-12345678")
    assert key != rules.dedupe_key("1" * 255, "261123-12345678")
    assert rules.dedupe_key("0" * 252, "x") == "id:" + "0" * 252
