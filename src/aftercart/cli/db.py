"""``aftercart db``: schema migrations."""

import asyncio

import typer
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL, Connection

from aftercart.cli import database
from aftercart.cli.database import DatabaseUrlOption
from aftercart.db.engine import create_engine
from aftercart.db.migrate import upgrade as migrate

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _upgrade(url: URL) -> str | None:
    await database.reach(url)
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


@app.command()
def upgrade(database_url: DatabaseUrlOption = None) -> None:
    """Create the database if it is a new SQLite file, and apply every migration (alembic
    upgrade head)."""
    url = database.checked(database_url, create=True)
    revision = asyncio.run(_upgrade(url))
    typer.echo(f"{database.shown(url)} is at revision {revision}")
