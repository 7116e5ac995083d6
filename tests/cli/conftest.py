import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from aftercart.config import Settings


@pytest.fixture
async def db_url(app: FastAPI, settings: Settings) -> str:
    """The test database's URL for ``AFTERCART_DATABASE_URL``; the ``app`` fixture empties the
    tables after the test."""
    return settings.database_url


@pytest.fixture(autouse=True)
def quiet_migrations() -> Iterator[None]:
    """The test process logs to stderr (the ``app`` fixture sets logging up), which the runner
    captures with the command's own lines; Alembic's INFO lines are not the command's."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)
