"""A token revoked through one ``aftercart serve`` process stops working in another within a
second, on the database the suite runs on (each process caches tokens in memory)."""

from pathlib import Path

import pytest

from tests.auth.helpers import prove_revocation_reaches
from tests.conftest import POSTGRES_URL
from tests.stream.processes import arrange_order, scratch_database, two_servers

pytestmark = pytest.mark.slow


async def test_a_revocation_through_one_process_ends_the_token_in_another(
    tmp_path: Path,
) -> None:
    async with scratch_database(tmp_path, POSTGRES_URL) as database_url:
        creds, _user_id, _order_id = await arrange_order(database_url)
        async with two_servers(database_url, tmp_path) as (a, b):
            await prove_revocation_reaches(a, b, creds)
