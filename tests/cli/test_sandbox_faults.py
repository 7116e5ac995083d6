"""``aftercart sandbox faults``: a client's fault rules from the command line."""

import json

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from tests.cli.helpers import cli, said
from tests.sandbox.helpers import SANDBOX

FAULTS = ("sandbox", "faults")


@pytest.fixture(autouse=True)
def sandbox_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "true")


async def test_add_list_and_remove(db_url: str, creds: IssuedCredentials) -> None:
    client = ("--client", creds.client_id)
    added = await cli(
        db_url,
        *FAULTS,
        "add",
        *client,
        "--method",
        "post",
        "--path",
        "/v2/fulfillment/*",
        "--effect",
        "error",
        "--status",
        "503",
        "--retry-after",
        "2",
        "--seed",
        "42",
        "--json",
    )
    assert added.exit_code == 0, added.stderr
    rule = json.loads(added.stdout)
    assert rule["method"] == "POST"
    assert rule["effect"] == {"type": "error", "status": 503, "retry_after": 2}
    hook = await cli(
        db_url,
        *FAULTS,
        "add",
        *client,
        "--target",
        "webhook",
        "--event",
        "fulfillment.*",
        "--effect",
        "slow",
        "--min-ms",
        "10",
        "--max-ms",
        "20",
        "--seed",
        "7",
    )
    assert hook.exit_code == 0, hook.stderr
    listed = await cli(db_url, *FAULTS, "list", *client)
    assert listed.stdout.splitlines() == [
        f"{rule['id']}  api      POST /v2/fulfillment/*  p=1 seed=42  error status=503 "
        "retry_after=2  (consulted 0)",
        f"{rule['id'] + 1}  webhook  event fulfillment.*  p=1 seed=7  slow min_ms=10 max_ms=20"
        "  (consulted 0)",
    ]
    as_json = json.loads((await cli(db_url, *FAULTS, "list", *client, "--json")).stdout)
    assert [each["id"] for each in as_json] == [rule["id"], rule["id"] + 1]
    one = await cli(db_url, *FAULTS, "remove", str(rule["id"]), *client, "--json")
    assert json.loads(one.stdout) == {"deleted": 1}
    rest = await cli(db_url, *FAULTS, "remove", "--all", *client)
    assert rest.stdout == "removed 1 fault rule(s)\n"
    empty = await cli(db_url, *FAULTS, "list", *client, "--json")
    assert json.loads(empty.stdout) == []


async def test_a_rule_added_here_faults_the_clients_requests(
    db_url: str, creds: IssuedCredentials, http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    added = await cli(
        db_url,
        *FAULTS,
        "add",
        "--client",
        creds.client_id,
        "--path",
        f"{SANDBOX}/products",
        "--effect",
        "error",
        "--status",
        "429",
    )
    assert added.exit_code == 0, added.stderr
    # The server trusts what it read for a second at most; this client has not been read yet.
    response = await http.get(f"{SANDBOX}/products", headers=client_headers)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


async def test_refusals_are_one_line_each_and_write_nothing(
    db_url: str, creds: IssuedCredentials
) -> None:
    client = ("--client", creds.client_id)
    bad = await cli(
        db_url, *FAULTS, "add", *client, "--path", "v2", "--effect", "error", "--status", "404"
    )
    assert bad.exit_code == 1
    assert said(bad) == [
        "error: path: must start with / (or be * for every path)",
        "error: effect.status: is not included in the list: 429, 500, 503",
    ]
    listed = await cli(db_url, *FAULTS, "list", *client, "--json")
    assert json.loads(listed.stdout) == []
    unknown = await cli(db_url, *FAULTS, "remove", "99", *client)
    assert unknown.exit_code == 1
    assert said(unknown) == ["error: Resource not found"]


async def test_unknown_clients_and_usage(db_url: str, creds: IssuedCredentials) -> None:
    nobody = await cli(db_url, *FAULTS, "list", "--client", "nobody")
    assert said(nobody) == ["error: no client nobody; see aftercart clients list"]
    neither = await cli(db_url, *FAULTS, "remove", "--client", creds.client_id)
    assert neither.exit_code == 2
    [line] = said(neither)
    assert line.startswith("error: Invalid value for 'ID': give either a rule's ID or --all")


async def test_refused_outside_the_sandbox(
    db_url: str, creds: IssuedCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCART_SANDBOX", "false")
    result = await cli(db_url, *FAULTS, "list", "--client", creds.client_id)
    assert result.exit_code == 1
    assert said(result)[0].startswith("error: faults are a sandbox tool")
