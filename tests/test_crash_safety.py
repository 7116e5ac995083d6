"""``aftercart serve`` killed with SIGKILL mid-request loses no write it answered 2xx, leaves no
change without its event and deliveries, and delivers every webhook after the restart (the
probe of ``bench/crash_safety.py``, two short rounds per database)."""

from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, requires_postgres
from tests.crash.checks import RoundReport, probe
from tests.stream.processes import fresh_database

pytestmark = pytest.mark.slow

ROUNDS = 2
SEED = 20261202
MAX_KILL_DELAY = 0.6


def _assert_safe(reports: list[RoundReport], *, sqlite: bool) -> None:
    assert len(reports) == ROUNDS
    for report in reports:
        assert report.problems == []
        assert report.acked.total() > 0
        assert report.found == report.acked.total()
        assert report.changes == report.events
        assert report.delivered == report.deliveries
        if sqlite:
            assert report.integrity == {"after kill": "ok", "after restart": "ok"}


async def test_a_killed_server_on_sqlite_loses_no_acknowledged_write(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    reports = await probe(url, tmp_path, rounds=ROUNDS, seed=SEED, max_kill_delay=MAX_KILL_DELAY)
    _assert_safe(reports, sqlite=True)


@requires_postgres
async def test_a_killed_server_on_postgresql_loses_no_acknowledged_write(tmp_path: Path) -> None:
    assert POSTGRES_URL
    async with fresh_database(POSTGRES_URL) as url:
        reports = await probe(
            url, tmp_path, rounds=ROUNDS, seed=SEED, max_kill_delay=MAX_KILL_DELAY
        )
    _assert_safe(reports, sqlite=False)
