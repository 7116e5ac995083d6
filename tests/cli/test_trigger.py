"""``aftercart trigger``: the sandbox's triggers from the command line."""

import json

import pytest

from aftercart.events import names
from tests.cli.helpers import cli, said
from tests.sandbox.helpers import Sessions, arrange_order, events, load_order
from tests.webhooks.helpers import payload_errors


@pytest.fixture(autouse=True)
def sandbox_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "true")


async def test_sends_the_event_and_prints_it(db_url: str, sessions: Sessions) -> None:
    arranged = await arrange_order(sessions, client_id="someone")  # any client's order
    result = await cli(
        db_url,
        "trigger",
        names.RESCHEDULED,
        "--order",
        arranged.order_id,
        "--set",
        "note=moved by hand",
        "--set",
        "attempt=2",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    (event,) = await events(sessions, arranged.order_id)
    assert body["event_id"] == event.id
    assert body["event_name"] == names.RESCHEDULED
    assert body["event_metadata"] == event.metadata_
    assert body["event_metadata"]["note"] == "moved by hand"
    assert body["event_metadata"]["attempt"] == 2
    assert payload_errors(body) == []


async def test_prints_the_id_and_the_payload_for_people(db_url: str, sessions: Sessions) -> None:
    arranged = await arrange_order(sessions)
    result = await cli(db_url, "trigger", names.LATE_DELIVERY, "--order", arranged.order_id)
    assert result.exit_code == 0, result.stderr
    (event,) = await events(sessions, arranged.order_id)
    first, *rest = result.stdout.splitlines()
    assert first == f"event {event.id}  {names.LATE_DELIVERY}  order {arranged.order_id}"
    assert json.loads("\n".join(rest)) == event.metadata_


async def test_a_refusal_is_one_error_line_and_writes_nothing(
    db_url: str, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    result = await cli(
        db_url, "trigger", names.LATE_DELIVERY, "--order", arranged.order_id, "--set", "late=false"
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = said(result)
    assert line.startswith("error: event_metadata.late: does not fit the AsyncAPI schema")
    assert await events(sessions, arranged.order_id) == []


async def test_unknown_names_and_orders(db_url: str, sessions: Sessions) -> None:
    arranged = await arrange_order(sessions)
    unknown = await cli(db_url, "trigger", "fulfillment.nope", "--order", arranged.order_id)
    assert unknown.exit_code == 1
    [line] = said(unknown)
    assert line.startswith("error: event_name: is not included in the list: fulfillment.brand_new")
    missing = await cli(db_url, "trigger", names.CANCELED, "--order", "no-such-order")
    assert said(missing) == ["error: Resource not found"]


async def test_a_set_without_a_value_is_a_usage_error(db_url: str) -> None:
    result = await cli(db_url, "trigger", names.CANCELED, "--order", "o-1", "--set", "late")
    assert result.exit_code == 2
    [line] = said(result)
    assert line.startswith("error: Invalid value for '--set': 'late' is not FIELD=VALUE")


async def test_refused_outside_the_sandbox(
    db_url: str, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "false")
    arranged = await arrange_order(sessions)
    result = await cli(db_url, "trigger", names.CANCELED, "--order", arranged.order_id)
    assert result.exit_code == 1
    assert said(result)[0].startswith("error: triggers are a sandbox tool")
    assert await events(sessions, arranged.order_id) == []


async def test_line_names_the_item_events_line(db_url: str, sessions: Sessions) -> None:
    arranged = await arrange_order(sessions)
    lines = [item.line_num for item in (await load_order(sessions, arranged.order_id)).items]
    result = await cli(
        db_url,
        "trigger",
        names.ITEM_UPDATED,
        "--order",
        arranged.order_id,
        "--line",
        lines[-1],
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["event_metadata"]["item"]["line_num"] == lines[-1]
    unknown = await cli(
        db_url, "trigger", names.ITEM_UPDATED, "--order", arranged.order_id, "--line", "99"
    )
    assert said(unknown) == ["error: line_num: is not a line of the order"]
