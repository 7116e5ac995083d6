from datetime import UTC, datetime, timedelta, timezone

import pytest

from aftercart.errors import InvalidParameter
from aftercart.events import names
from aftercart.events.envelope import timestamp
from aftercart.events.stream import rules


def test_notifications_round_trip() -> None:
    assert rules.parse_notification(rules.notification(12, 345)) == (12, 345)
    assert rules.parse_notification(rules.notification(None, 345)) == (None, 345)
    assert rules.parse_notification("garbage") is None


def test_every_order_event_is_streamed_but_marketplace_feedback() -> None:
    assert names.MARKETPLACE_FEEDBACK not in rules.STREAMED
    assert {names.PICKING, names.CHAT_MESSAGE, names.REPLACEMENT_DECISION} <= rules.STREAMED


def test_timestamps_are_utc_to_the_second() -> None:
    moment = datetime(2020, 7, 7, 9, 35, 22, 999_000, tzinfo=timezone(timedelta(hours=-7)))
    assert timestamp(moment) == "2020-07-07T16:35:22Z"


def test_an_sse_message_carries_id_event_and_json_data() -> None:
    moment = datetime(2020, 7, 7, 16, 35, 22, tzinfo=UTC)
    message = rules.sse_message(
        event_id=7, name="fulfillment.picking", created_at=moment, metadata={}
    )
    assert message == (
        b"id: 7\r\nevent: fulfillment.picking\r\n"
        b'data: {"event_id":7,"event_name":"fulfillment.picking",'
        b'"event_timestamp":"2020-07-07T16:35:22Z","event_metadata":{}}\r\n\r\n'
    )


def test_the_header_wins_over_the_query_parameter() -> None:
    assert rules.resume_point("12", "3") == 12
    assert rules.resume_point(None, "3") == 3
    assert rules.resume_point(" ", None) is None
    assert rules.resume_point(None, None) is None


def test_a_resume_point_past_any_event_id_replays_nothing() -> None:
    assert rules.resume_point(str(2**64), None) == 2**63 - 1


@pytest.mark.parametrize("value", ["-1", "1.5", "abc", "²"])
def test_a_resume_point_must_be_a_non_negative_integer(value: str) -> None:
    with pytest.raises(InvalidParameter):
        rules.resume_point(value, None)
