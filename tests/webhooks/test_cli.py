"""``aftercart webhooks``: the same service functions as the API, for the operator."""

import json

from fastapi import FastAPI

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.events import names
from aftercart.events.webhooks import worker
from tests.cli.helpers import cli
from tests.webhooks.helpers import RECEIVER, Receiver, Sessions, sender_for


async def test_add_test_deliveries_redeliver_and_remove(
    app: FastAPI, settings: Settings, sessions: Sessions, creds: IssuedCredentials
) -> None:
    db = settings.database_url
    added = await cli(
        db,
        *("webhooks", "add", "--client-id", creds.client_id, "--url", RECEIVER),
        *("--event", names.BRAND_NEW, "--event", names.CANCELED, "--json"),
    )
    assert added.exit_code == 0, added.output
    subscription = json.loads(added.stdout)
    assert subscription["signing_secret"].startswith("whsec_")
    assert subscription["event_names"] == [names.BRAND_NEW, names.CANCELED]
    sid = str(subscription["id"])

    listed = json.loads((await cli(db, "webhooks", "list", "--json")).stdout)
    assert [s["id"] for s in listed] == [subscription["id"]]
    assert "signing_secret" not in listed[0]

    sent = json.loads((await cli(db, "webhooks", "test", sid, "--json")).stdout)
    await worker.send(sessions, sent["delivery_id"], sender=sender_for(Receiver(status=502)))
    log = json.loads((await cli(db, "webhooks", "deliveries", sid, "--json")).stdout)
    assert [(d["id"], d["status"], d["last_error"]) for d in log] == [
        (sent["delivery_id"], "pending", "HTTP 502")
    ]
    shown = await cli(db, "webhooks", "delivery", str(sent["delivery_id"]))
    assert "502" in shown.stdout

    again = await cli(db, "webhooks", "redeliver", str(sent["delivery_id"]))
    assert again.exit_code == 0
    assert sent["webhook_id"] in again.stdout

    assert (await cli(db, "webhooks", "remove", sid)).exit_code == 0
    assert json.loads((await cli(db, "webhooks", "list", "--json")).stdout) == []


async def test_errors_name_the_field(
    app: FastAPI, settings: Settings, creds: IssuedCredentials
) -> None:
    result = await cli(
        settings.database_url,
        *("webhooks", "add", "--client-id", creds.client_id, "--url", "ftp://x"),
    )
    assert result.exit_code == 1
    assert "url: must be an http or https URL" in result.stderr
    missing = await cli(settings.database_url, "webhooks", "remove", "999")
    assert (missing.exit_code, missing.stderr.splitlines()[-1]) == (1, "error: Resource not found")


async def test_ids_beyond_every_column_are_not_found(app: FastAPI, settings: Settings) -> None:
    for command in (("remove",), ("test",), ("delivery",), ("deliveries",), ("redeliver",)):
        answer = await cli(settings.database_url, "webhooks", *command, str(2**64))
        assert (answer.exit_code, answer.stderr.splitlines()[-1]) == (
            1,
            "error: Resource not found",
        ), (command, answer.stderr)
