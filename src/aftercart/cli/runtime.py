"""Running service functions from the CLI: a checked database, an engine, one session.

Settings are read from the environment afresh on every command (``Settings()``, not the cached
``get_settings()``), so that the environment a command runs in is the one it uses.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials, UnknownTenant, create_client
from aftercart.cli import database
from aftercart.cli.failures import Failure
from aftercart.config import Settings
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade

T = TypeVar("T")

#: ``--json`` on commands whose output scripts read: JSON on stdout and nothing else there.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON only.")]


def cli_settings(database_url: str | None = None) -> Settings:
    """Settings from the environment, with ``--database-url`` over AFTERCART_DATABASE_URL."""
    return Settings() if database_url is None else Settings(database_url=database_url)


@asynccontextmanager
async def cli_sessions(url: URL) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the migrated database at ``url``, reached and named first."""
    await database.reach(url)
    database.announce(url)
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        await upgrade(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def cli_session(settings: Settings | None = None) -> AsyncIterator[AsyncSession]:
    """A session on the existing database of ``settings``; commits when the block ends without
    error."""
    url = database.checked((settings or Settings()).database_url, create=False)
    async with cli_sessions(url) as sessions, sessions() as session:
        yield session
        await session.commit()


def run(
    work: Callable[[AsyncSession], Awaitable[T]],
    database_url: str | None = None,
    *,
    create: bool = False,
) -> T:
    """Runs ``work`` in one committed transaction and returns its result. The database is
    ``--database-url`` (``None``: the settings'); only with ``create`` may it be a new one."""
    url = database.checked(database_url, create=create)

    async def main() -> T:
        async with cli_sessions(url) as sessions, sessions() as session:
            result = await work(session)
            await session.commit()
            return result

    return asyncio.run(main())


def run_with_sessions(
    work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]],
    database_url: str | None = None,
) -> T:
    """Runs ``work``, which opens and commits its own sessions, and returns its result."""
    url = database.checked(database_url, create=False)

    async def main() -> T:
        async with cli_sessions(url) as sessions:
            return await work(sessions)

    return asyncio.run(main())


TenantOption = Annotated[
    int | None,
    typer.Option(
        "--tenant",
        help="Join this tenant (a number from `aftercart clients list`): its clients share "
        "users, orders, shoppers, ratings and webhooks. Without it the client gets a tenant of "
        "its own.",
        min=1,
    ),
]


async def create_in_tenant(
    session: AsyncSession, tenant_id: int | None, **client: Any
) -> IssuedCredentials:
    """:func:`~aftercart.auth.service.create_client`, with an unknown tenant a one-line failure."""
    try:
        return await create_client(session, tenant_id=tenant_id, **client)
    except UnknownTenant as exc:
        raise Failure(f"{exc}: `aftercart clients list` shows the tenants") from exc


def show_credentials(issued: IssuedCredentials, *, as_json: bool, advice: str = "") -> None:
    """Prints new client credentials once: JSON alone on stdout, or two lines for people with
    ``advice`` and a reminder on stderr."""
    if as_json:
        credentials = {
            "client_id": issued.client_id,
            "client_secret": issued.client_secret,
            "tenant_id": issued.tenant_id,
        }
        typer.echo(json.dumps(credentials))
        return
    typer.echo(f"client_id:     {issued.client_id}")
    typer.echo(f"client_secret: {issued.client_secret}")
    typer.echo(f"tenant:        {issued.tenant_id}")
    reminder = "Keep the secret now: only its hash is stored, it cannot be shown again."
    typer.echo(f"{advice}\n{reminder}" if advice else reminder, err=True)
