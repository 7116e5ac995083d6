"""A token revoked through one ``aftercart serve`` process stops working in another within a
second, on the database the suite runs on (each process caches tokens in memory)."""

from pathlib import Path

import httpx
import pytest

from tests.auth.helpers import prove_revocation_reaches
from tests.conftest import POSTGRES_URL
from tests.stream.processes import arrange_order, scratch_database, serving, until_healthy

pytestmark = pytest.mark.slow


async def test_a_revocation_through_one_process_ends_the_token_in_another(
    tmp_path: Path,
) -> None:
    async with scratch_database(tmp_path, POSTGRES_URL) as database_url:
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
