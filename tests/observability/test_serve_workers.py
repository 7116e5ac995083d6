"""``aftercart serve --workers 2``: one scrape counts what every worker answered, every line the
processes log is JSON, and the metric files' folder goes when the server stops."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.observability.helpers import scrape
from tests.stream.processes import scratch_database, serving, until_healthy

pytestmark = pytest.mark.slow

#: Fresh connections are spread over the workers by the kernel, not evenly: enough tries that
#: both answer some.
MAX_REQUESTS = 200
HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}


def _log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of the server's output (``serve`` itself prints a few plain ones first)."""
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _healthz_pids(path: Path) -> list[int]:
    return [
        line["pid"]
        for line in _log_lines(path)
        if line["logger"] == "aftercart.access" and line["path"] == "/healthz"
    ]


async def test_a_scrape_adds_up_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    output = tmp_path / "serve.log"
    async with scratch_database(tmp_path, POSTGRES_URL) as database_url:
        with (
            output.open("wb") as log,
            serving(database_url, log, "--workers", "2", log_level="info") as url,
        ):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                await until_healthy(client)
            [folder] = list(temporary.glob("aftercart-metrics-*"))
            deadline = time.monotonic() + 20
            for _ in range(MAX_REQUESTS):
                # A connection each, so that the kernel hands them to either worker.
                async with httpx.AsyncClient(base_url=url, timeout=10) as fresh:
                    assert (await fresh.get("/healthz")).status_code == 200
                if len(set(_healthz_pids(output))) == 2 or time.monotonic() > deadline:
                    break
            assert len(set(_healthz_pids(output))) == 2, "one worker answered every request"

            # Whichever worker answers a scrape, it counts every worker's requests.
            for _ in range(4):
                async with httpx.AsyncClient(base_url=url, timeout=10) as fresh:
                    scraped = await scrape(fresh)
                counted = scraped.value("aftercart_http_requests_total", **HEALTHZ)
                assert counted == len(_healthz_pids(output))
                assert scraped.value("aftercart_db_pool_size") > 0
        assert not folder.exists()

    lines = _log_lines(output)
    messages = [line["message"] for line in lines if line["logger"].startswith("uvicorn")]
    assert any(message.startswith("Started parent process") for message in messages)
    assert sum(message.startswith("Started server process") for message in messages) == 2
    # Every line of the workers' output is JSON; the plain ones are serve's own, before them.
    text = output.read_text().splitlines()
    first_json = next(n for n, line in enumerate(text) if line.startswith("{"))
    assert all(line.startswith("{") for line in text[first_json:])
