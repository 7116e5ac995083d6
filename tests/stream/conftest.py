import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests.conftest import suite_settings
from tests.stream.helpers import Shop, arrange


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Short keep-alive and fallback intervals, so that tests of them finish quickly."""
    return suite_settings(database_url, stream_keepalive_seconds=0.3, stream_poll_seconds=0.5)


@pytest.fixture
async def shop(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> Shop:
    return await arrange(sessions, http, creds)
