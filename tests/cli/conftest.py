import pytest
from fastapi import FastAPI

from aftercart.config import Settings


@pytest.fixture
async def db_url(app: FastAPI, settings: Settings) -> str:
    """The test database's URL for ``AFTERCART_DATABASE_URL``; the ``app`` fixture empties the
    tables after the test."""
    return settings.database_url
