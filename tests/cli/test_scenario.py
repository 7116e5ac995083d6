"""``aftercart scenario``: scenario files checked, listed, and played for an order through the
sandbox API."""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from aftercart.auth.service import IssuedCredentials
from aftercart.models import AccessToken
from aftercart.sandbox import scenarios
from tests import factories
from tests.cli.helpers import cli, said
from tests.sandbox.helpers import Sessions, arrange_order, events

OAT_MILK = "071842000701"


@pytest.fixture(autouse=True)
def sandbox_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "true")


async def _order(sessions: Sessions, creds: IssuedCredentials) -> str:
    async with sessions() as session:
        await factories.insert_product(session, upc=OAT_MILK, name="Original Oat Milk")
        await session.commit()
    return (await arrange_order(sessions, client_id=creds.client_id)).order_id


async def _live_tokens(sessions: Sessions) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(AccessToken).where(AccessToken.revoked_at.is_(None))
        )
        return int(count or 0)


def _played(stdout: str) -> list[dict[str, Any]]:
    played: list[dict[str, Any]] = json.loads(stdout)
    return played


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", sorted(scenarios.shipped()))
async def test_each_shipped_scenario_plays_to_its_end(
    name: str, db_url: str, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order_id = await _order(sessions, creds)
    tokens = await _live_tokens(sessions)
    result = await cli(db_url, "scenario", "run", name, "--order", order_id, "--json")
    assert result.exit_code == 0, result.stderr
    played = _played(result.stdout)
    assert all(step["ok"] for step in played), played
    expected = [n for step in played if step["kind"] == "expect" for n in step["argument"]]
    written = [event.name for event in await events(sessions, order_id)]
    assert expected
    assert set(expected) <= set(written)
    # The token the run used is revoked once it ends.
    assert await _live_tokens(sessions) == tokens


async def test_people_read_each_step_with_its_line(
    db_url: str, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order_id = await _order(sessions, creds)
    result = await cli(db_url, "scenario", "run", "canceled", "--order", order_id)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Canceled for order {order_id}"
    assert lines[1].startswith("ok   line 5   advance: 'picking'")
    assert "simulated canceled" in result.stdout


async def test_a_missing_callback_fails_the_run_at_that_step(
    tmp_path: Path, db_url: str, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order_id = await _order(sessions, creds)
    file = _file(
        tmp_path,
        "name: Too soon\nsteps:\n  - advance: picking\n  - expect: fulfillment.delivered\n"
        "  - callback: canceled\n",
    )
    result = await cli(db_url, "scenario", "run", file, "--order", order_id, "--json")
    assert result.exit_code == 1
    *done, failed = _played(result.stdout)
    assert [step["ok"] for step in done] == [True]
    assert failed["line"] == 4
    assert failed["detail"] == (
        "not sent: fulfillment.delivered; sent since the last expect: "
        "fulfillment.acknowledged, fulfillment.picking"
    )
    # The step after the failure was not played.
    assert "fulfillment.canceled" not in [e.name for e in await events(sessions, order_id)]


async def test_a_refused_request_shows_aftercarts_answer(
    tmp_path: Path, db_url: str, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order_id = await _order(sessions, creds)
    file = _file(
        tmp_path, "name: Unknown product\nsteps:\n  - advance: picking\n  - replace: {1: '999'}\n"
    )
    result = await cli(db_url, "scenario", "run", file, "--order", order_id, "--json")
    assert result.exit_code == 1
    failed = _played(result.stdout)[-1]
    assert failed["detail"].startswith("PUT /v2/fulfillment_sandbox/shoppers/"), failed
    assert "answered 4" in failed["detail"]


async def test_items_need_a_shopper_first(
    tmp_path: Path, db_url: str, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order_id = await _order(sessions, creds)
    file = _file(tmp_path, "name: Too early\nsteps:\n  - found: all\n")
    result = await cli(db_url, "scenario", "run", file, "--order", order_id, "--json")
    assert result.exit_code == 1
    assert _played(result.stdout)[0]["detail"] == (
        "no shopper has the order yet: `advance: picking` first"
    )


async def test_every_problem_of_a_file_names_its_line(tmp_path: Path, db_url: str) -> None:
    file = _file(
        tmp_path,
        "name: Broken\nsteps:\n  - advance: pickng\n  - found: all\n  - wait: forever\n",
    )
    for command in (["check", file], ["run", file, "--order", "o-1"]):
        result = await cli(db_url, "scenario", *command)
        assert result.exit_code == 1
        assert said(result) == [
            f"error: {file}:3: advance: must be one of acknowledged, picking, checkout, staged, "
            "acknowledged_for_delivery, at_store, bags_verified, delivering, completed",
            f"error: {file}:5: wait: 'forever' is not a duration such as 2s, 500ms or 1m",
        ]


async def test_an_unknown_order_or_file(db_url: str, sessions: Sessions) -> None:
    missing = await cli(db_url, "scenario", "run", "happy_path", "--order", "no-such-order")
    assert missing.exit_code == 1
    assert said(missing) == ["error: Resource not found"]
    unknown = await cli(db_url, "scenario", "run", "happy_paths", "--order", "o-1")
    assert unknown.exit_code == 1
    [line] = said(unknown)
    assert line.startswith("error: happy_paths: no such file, nor a shipped scenario")


async def test_refused_outside_the_sandbox(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "false")
    monkeypatch.setenv("AFTERCART_ENV", "production")
    result = await cli(db_url, "scenario", "run", "happy_path", "--order", "o-1")
    assert result.exit_code == 1
    assert said(result)[0].startswith("error: scenarios are a sandbox tool")


async def test_list_names_the_shipped_scenarios(db_url: str) -> None:
    result = await cli(db_url, "scenario", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [s["name"] for s in json.loads(result.stdout)] == sorted(scenarios.shipped())


async def test_the_documented_example_plays(
    tmp_path: Path, db_url: str, sessions: Sessions, creds: IssuedCredentials
) -> None:
    page = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text()
    example = page.split("```yaml\n")[1].split("```")[0]
    order_id = await _order(sessions, creds)
    result = await cli(
        db_url, "scenario", "run", _file(tmp_path, example), "--order", order_id, "--json"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert all(step["ok"] for step in _played(result.stdout))
