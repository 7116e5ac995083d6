"""``aftercart sandbox reset``: a tenant's data wiped from the command line."""

import json

import anyio.to_thread
import httpx
import pytest
from click.testing import Result
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from aftercart.auth.service import IssuedCredentials
from aftercart.cli import sandbox
from aftercart.cli.main import app as cli_app
from aftercart.models import AuthChange, Event, MonitoredRequest, User
from tests import factories
from tests.cli.helpers import cli, said
from tests.fulfillment.helpers import arrange_shop, place_order
from tests.sandbox.helpers import RESET_KINDS, Sessions

RESET = ("sandbox", "reset")
KINDS = RESET_KINDS


@pytest.fixture(autouse=True)
def sandbox_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "true")


async def answered(database_url: str, answer: str, *args: str) -> Result:
    """The command run with ``answer`` typed at its prompt."""
    runner = CliRunner(env={"AFTERCART_DATABASE_URL": database_url})
    return await anyio.to_thread.run_sync(
        lambda: runner.invoke(cli_app, list(args), input=answer, catch_exceptions=False)
    )


async def users_of(sessions: Sessions, tenant_id: int) -> list[str]:
    async with sessions() as session:
        found = await session.scalars(select(User.user_id).where(User.tenant_id == tenant_id))
        return sorted(found)


async def _count(sessions: Sessions, *where: object, model: type = Event) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
async def tenant(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> IssuedCredentials:
    """A client of a tenant of its own, with a user and an order made through the API; the
    default tenant has the same user and order."""
    shop = await arrange_shop(sessions)
    wiped = await factories.make_api_client(sessions, "Wiped retailer", tenant_id=None)
    for each in (wiped, creds):
        headers = factories.bearer(await factories.client_token(http, each))
        await place_order(http, headers, shop, user_id="u-1", order_id="o-1")
    await factories.user_token(http, wiped, "u-1")
    await app.state.monitor.flush()
    return wiped


async def test_reset_removes_the_tenants_data_and_says_so(
    db_url: str, sessions: Sessions, tenant: IssuedCredentials, creds: IssuedCredentials
) -> None:
    events = await _count(sessions, Event.tenant_id == tenant.tenant_id)
    clients = [tenant.client_id]
    monitored = await _count(
        sessions, MonitoredRequest.client_id.in_(clients), model=MonitoredRequest
    )
    assert events > 0

    result = await cli(db_url, *RESET, "--tenant", str(tenant.tenant_id), "--yes", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "removed": dict.fromkeys(KINDS, 0)
        | {"users": 1, "orders": 1, "events": events, "monitored_requests": monitored}
    }
    assert await users_of(sessions, tenant.tenant_id) == []
    assert await users_of(sessions, creds.tenant_id) == ["u-1"]
    # The user token went: every process is told to forget its cached tokens.
    reasons = await _count(sessions, AuthChange.reason == "sandbox_reset", model=AuthChange)
    assert reasons == 1

    again = await cli(db_url, *RESET, "--tenant", str(tenant.tenant_id), "--yes")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines() == [f"{kind.replace('_', ' '):<20} 0" for kind in KINDS]
    assert said(again) == [
        f"tenant {tenant.tenant_id} reset; its clients, webhook subscriptions, fault rules and "
        "branding are kept"
    ]


async def test_without_yes_a_script_is_refused_and_nothing_goes(
    db_url: str, sessions: Sessions, tenant: IssuedCredentials
) -> None:
    result = await cli(db_url, *RESET, "--tenant", str(tenant.tenant_id))
    assert result.exit_code == 1
    assert said(result) == [
        f"error: reset removes all of tenant {tenant.tenant_id}'s data; run it again with --yes"
    ]
    assert await users_of(sessions, tenant.tenant_id) == ["u-1"]


async def test_on_a_terminal_it_asks_first(
    db_url: str, sessions: Sessions, tenant: IssuedCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "_interactive", lambda: True)
    args = (*RESET, "--tenant", str(tenant.tenant_id))
    declined = await answered(db_url, "n\n", *args)
    assert declined.exit_code == 1
    # The runner does not echo the answer: the prompt and the refusal share a line.
    question = f"Remove every user, order, shopper, rating and event of tenant {tenant.tenant_id}?"
    assert said(declined) == [f"{question} [y/N]:error: not confirmed; nothing was removed"]
    assert await users_of(sessions, tenant.tenant_id) == ["u-1"]

    accepted = await answered(db_url, "y\n", *args)
    assert accepted.exit_code == 0, accepted.stderr
    assert "users                1" in accepted.stdout.splitlines()
    assert await users_of(sessions, tenant.tenant_id) == []


async def test_an_unknown_tenant_is_one_line(db_url: str) -> None:
    result = await cli(db_url, *RESET, "--tenant", "999", "--yes")
    assert result.exit_code == 1
    assert said(result) == [
        "error: There is no tenant 999: `aftercart clients list` shows the tenants"
    ]


async def test_refused_outside_the_sandbox(
    db_url: str, sessions: Sessions, tenant: IssuedCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "false")
    result = await cli(db_url, *RESET, "--tenant", str(tenant.tenant_id), "--yes")
    assert result.exit_code == 1
    assert said(result) == [
        "error: reset is a sandbox tool; set AFTERCART_SANDBOX=true (or AFTERCART_ENV=development)"
    ]
    assert await users_of(sessions, tenant.tenant_id) == ["u-1"]


async def test_the_tenant_is_required(db_url: str) -> None:
    result = await cli(db_url, *RESET, "--yes")
    assert result.exit_code == 2
    [line] = said(result)
    assert line.startswith("error: Missing option '--tenant'")
