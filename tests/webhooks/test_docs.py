"""The published documents name every event the service can send."""

from pathlib import Path

from aftercart.events import names
from tests.webhooks.helpers import asyncapi, payload_errors

SENT = {*names.ALL, names.WEBHOOK_TEST}
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def test_the_asyncapi_document_has_one_message_per_event_name() -> None:
    document = asyncapi()
    messages = document["components"]["messages"]
    assert sorted(m["name"] for m in messages.values()) == sorted(SENT)
    channel = document["channels"]["callbacks"]["messages"]
    sent = [ref["$ref"] for ref in document["operations"]["sendCallback"]["messages"]]
    assert sent == [f"#/channels/callbacks/messages/{key}" for key in channel]
    assert set(channel) == set(messages)


def test_the_guide_has_a_payload_row_for_every_event_name() -> None:
    guide = GUIDE.read_text()
    missing = [name for name in sorted(SENT) if f"| `{name}` |" not in guide]
    assert missing == []


def test_a_payload_that_breaks_the_contract_is_caught() -> None:
    body = {
        "event_id": 1,
        "event_name": names.PICKING,
        "event_timestamp": "2026-11-24T10:00:00.5Z",
        "event_metadata": {"order_id": "o-1", "user_id": "u-1"},
    }
    errors = payload_errors(body)
    assert any("location_code" in e for e in errors)
    assert any("event_timestamp" in e for e in errors)
