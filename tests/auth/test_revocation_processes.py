"""A token revoked through one ``aftercart serve`` process stops working in another within a
second, on the database the suite runs on (each process caches tokens in memory)."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.helpers import prove_revocation_reaches
from tests.conftest import POSTGRES_URL
from tests.stream.processes import arrange_order, fresh_database, serving, until_healthy

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def _database(tmp_path: Path) -> AsyncIterator[str]:
    if POSTGRES_URL:
        async with fresh_database(POSTGRES_URL) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"


async def test_a_revocation_through_one_process_ends_the_token_in_another(
    tmp_path: Path,
) -> None:
    async with _database(tmp_path) as database_url:
        creds, _user_id, _order_id = await arrange_order(database_url)
        with (
            (tmp_path / "a.log").open("wb") as log_a,
            (tmp_path / "b.log").open("wb") as log_b,
            serving(database_url, log_a) as url_a,
            serving(database_url, log_b) as url_b,
        ):
            async with (
                httpx.AsyncClient(base_url=url_a, timeout=10) as a,
                httpx.AsyncClient(base_url=url_b, timeout=10) as b,
            ):
                await until_healthy(a)
                await until_healthy(b)
                await prove_revocation_reaches(a, b, creds)
