"""``aftercart feedback export`` writes exactly what the list endpoint gives."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from aftercart.cli.main import app as cli
from aftercart.config import Settings, get_settings
from aftercart.feedback import queries
from tests.feedback.helpers import backend_path, insert_rating, place_order, walk
from tests.marketplace.helpers import EXAMPLE_BODY, marketplace_headers

RATINGS = 7


@pytest.fixture
def use_test_database(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AFTERCART_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _invoke(*args: str) -> Result:
    """The CLI runs its own event loop, so it runs in a worker thread."""
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, ["feedback", *args]))


async def _arrange(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    path = backend_path(placed)
    body = {"rating_value": "STARS4", "highlights": ["EXTRA_EFFORT"], "thank_you_note": "a, b"}
    assert (await http.post(path, json=body, headers=client_headers)).status_code == 200
    headers = await marketplace_headers(http, sessions)
    assert (await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=headers)).status_code == 200
    async with sessions() as session:
        for n in range(RATINGS):
            await insert_rating(session, rating=n % 5 + 1, location_code="s1")
        await session.commit()


@pytest.mark.usefixtures("use_test_database")
async def test_jsonl_export_equals_the_list(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queries, "EXPORT_PAGE_SIZE", 3)
    await _arrange(http, client_headers, sessions)
    output = tmp_path / "ratings.jsonl"
    result = await _invoke("export", "--format", "jsonl", "--output", str(output))
    assert result.exit_code == 0, result.output
    exported = [json.loads(line) for line in output.read_text().splitlines()]
    listed = await walk(http, client_headers, limit=4)
    assert len(listed) == RATINGS + 2
    assert exported == listed


@pytest.mark.usefixtures("use_test_database")
async def test_filtered_csv_export_equals_the_filtered_list(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _arrange(http, client_headers, sessions)
    result = await _invoke("export", "--format", "csv", "--min-rating", "4", "--source", "connect")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    listed = await walk(http, client_headers, min_rating=4, source="connect")
    assert [int(row["id"]) for row in rows] == [r["id"] for r in listed]
    assert len(rows) == 3
    noted = next(row for row in rows if row["thank_you_note"])
    assert noted["thank_you_note"] == "a, b"
    assert json.loads(noted["highlights"]) == ["EXTRA_EFFORT"]
    assert noted["shopper_id"] == ""


@pytest.mark.usefixtures("use_test_database")
async def test_a_bad_filter_is_a_usage_error() -> None:
    result = await _invoke("export", "--format", "csv", "--since", "yesterday")
    assert result.exit_code == 2
