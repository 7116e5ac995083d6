"""Helpers shared by the token tests."""

import asyncio
import time

import httpx

from aftercart.auth.service import IssuedCredentials
from tests import factories

#: What a live client token gets for a user that does not exist (not 401).
UNKNOWN_USER = 400


async def answer_within(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], status: int, seconds: float
) -> float:
    started = time.monotonic()
    while True:
        response = await client.get(path, headers=headers)
        took = time.monotonic() - started
        if response.status_code == status:
            return took
        assert took < seconds, f"still {response.status_code} after {took:.2f} s"
        await asyncio.sleep(0.02)


async def prove_revocation_reaches(
    here: httpx.AsyncClient, there: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    """A token used (so cached) through both ``here`` and ``there`` and revoked ``here`` is
    refused ``here`` at once and ``there`` within a second."""
    token = await factories.client_token(here, creds)
    headers = factories.bearer(token)
    path = "/v2/fulfillment/users/nobody"
    for client in (here, there, here, there):
        assert (await client.get(path, headers=headers)).status_code == UNKNOWN_USER
    await factories.revoke(here, creds, token)
    assert (await here.get(path, headers=headers)).status_code == 401
    await answer_within(there, path, headers, 401, seconds=1.0)
