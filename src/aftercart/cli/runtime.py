"""Running service functions from the CLI: an engine, a migrated database, one session.

Settings are read from the environment afresh on every command (``Settings()``, not the cached
``get_settings()``), so that the environment a command runs in is the one it uses.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade

T = TypeVar("T")

#: ``--json`` on commands whose output scripts read: JSON on stdout and nothing else there.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON only.")]


@asynccontextmanager
async def cli_sessions(
    settings: Settings | None = None,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated database, for work that commits as it goes."""
    settings = settings or Settings()
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def cli_session(settings: Settings | None = None) -> AsyncIterator[AsyncSession]:
    """A session on a migrated database; commits when the block ends without error."""
    async with cli_sessions(settings) as sessions, sessions() as session:
        yield session
        await session.commit()


def run(work: Callable[[AsyncSession], Awaitable[T]], settings: Settings | None = None) -> T:
    """Runs ``work`` in one committed transaction and returns its result."""

    async def main() -> T:
        async with cli_session(settings) as session:
            return await work(session)

    return asyncio.run(main())


def run_with_sessions(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Runs ``work``, which opens and commits its own sessions, and returns its result."""

    async def main() -> T:
        async with cli_sessions() as sessions:
            return await work(sessions)

    return asyncio.run(main())


def shown_url(database_url: str) -> str:
    """The database URL with any password masked, for messages."""
    return make_url(database_url).render_as_string(hide_password=True)


def show_credentials(issued: IssuedCredentials, *, as_json: bool, advice: str = "") -> None:
    """Prints new client credentials once: JSON alone on stdout, or two lines for people with
    ``advice`` and a reminder on stderr."""
    if as_json:
        credentials = {"client_id": issued.client_id, "client_secret": issued.client_secret}
        typer.echo(json.dumps(credentials))
        return
    typer.echo(f"client_id:     {issued.client_id}")
    typer.echo(f"client_secret: {issued.client_secret}")
    reminder = "Keep the secret now: only its hash is stored, it cannot be shown again."
    typer.echo(f"{advice}\n{reminder}" if advice else reminder, err=True)
