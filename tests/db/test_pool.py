"""The PostgreSQL pool keeps what a process has in flight open: a connection beyond the pool is
closed as soon as it is returned, and reopening one per request cost more than the request
(``bench.profile_hot_path --postgres``)."""

from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from aftercart.app import create_app
from aftercart.config import Settings
from aftercart.db.engine import MAX_OVERFLOW, POOL_SIZE, create_engine
from tests.conftest import requires_postgres, suite_settings

URL = "postgresql://postgres@127.0.0.1:5432/never-connected"


def test_the_pool_size_is_the_settings() -> None:
    settings = Settings(database_url=URL, database_pool_size=7, database_max_overflow=3)
    assert (settings.database_pool_size, settings.database_max_overflow) == (7, 3)
    engine = create_engine(
        URL, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
    )
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (7, 3)


def test_the_defaults_keep_thirty_connections() -> None:
    pool = create_engine(URL).sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (POOL_SIZE, MAX_OVERFLOW) == (30, 10)


@requires_postgres
async def test_the_app_sizes_its_pool_from_the_settings(database_url: str) -> None:
    settings = suite_settings(database_url, database_pool_size=4, database_max_overflow=2)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pool = app.state.engine.sync_engine.pool
        assert (pool.size(), pool._max_overflow) == (4, 2)
        async with app.state.sessions() as session:
            assert await session.scalar(text("select 1")) == 1
