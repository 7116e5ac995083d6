"""``aftercart db``: schema migrations."""

import asyncio

import typer
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from aftercart.cli.runtime import shown_url
from aftercart.config import Settings
from aftercart.db.engine import create_engine
from aftercart.db.migrate import upgrade as migrate

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _upgrade(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


@app.command()
def upgrade() -> None:
    """Apply every migration (alembic upgrade head) to AFTERCART_DATABASE_URL."""
    settings = Settings()
    revision = asyncio.run(_upgrade(settings.database_url))
    typer.echo(f"{shown_url(settings.database_url)} is at revision {revision}")
