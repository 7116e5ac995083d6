"""Which database a command works on, checked before any work is done.

Only ``aftercart serve`` and ``aftercart db upgrade`` may create a database. Every other command
refuses a SQLite file that does not exist, so that one run from the wrong folder says so instead
of quietly working on a new, empty ``./aftercart.db``.
"""

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from aftercart.cli.failures import DATABASE_HINT, Failure, database_failure
from aftercart.config import Settings
from aftercart.db.engine import create_engine, normalize_url

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the database (default: AFTERCART_DATABASE_URL, else "
        "sqlite+aiosqlite:///./aftercart.db).",
        show_default=False,
    ),
]

#: The drivers Aftercart runs on, after :func:`normalize_url` picked the async one.
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
EXAMPLES = "sqlite:///PATH or postgresql://USER@HOST:PORT/NAME"
#: How long the first connection to PostgreSQL may take before the command gives up.
CONNECT_TIMEOUT_SECONDS = 10


def checked(option: str | None, *, create: bool) -> URL:
    """The database of ``--database-url``, else of the settings: a URL Aftercart can use, with
    its async driver, and unless ``create``, a SQLite file that exists."""
    raw = option if option is not None else Settings().database_url
    source = "--database-url" if option is not None else "AFTERCART_DATABASE_URL"
    try:
        url = make_url(normalize_url(raw))
    except (ArgumentError, ValueError) as exc:
        raise Failure(f"{source} is not a database URL ({raw!r}); use {EXAMPLES}") from exc
    backend = url.get_backend_name()
    if backend not in DRIVERS:
        raise Failure(
            f"{source} names a {backend} database; Aftercart runs on SQLite or PostgreSQL: "
            f"use {EXAMPLES}"
        )
    if url.drivername != DRIVERS[backend]:
        raise Failure(
            f"{source} asks for the {url.get_driver_name()} driver; Aftercart connects with "
            f"{DRIVERS[backend].partition('+')[2]}: use {backend}:// without a driver"
        )
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        if not create:
            raise Failure(
                f"{source} is an in-memory SQLite database, which is gone when the command ends; "
                "name a file: sqlite:///PATH"
            )
    elif backend == "sqlite":
        given_path = url.database or ""
        path = Path(given_path)
        url = url.set(database=str(path.absolute()))
        if not create:
            _require_file(url, given=None if path.is_absolute() else given_path)
    return url


def _require_file(url: URL, *, given: str | None) -> None:
    """``given``: the path as written, if relative."""
    if Path(url.database or "").exists():
        return
    folder = f" ({given} is relative to the current folder)" if given else ""
    raise Failure(
        f"no database at {url.database}{folder}; create one with 'aftercart db upgrade' or "
        f"'aftercart serve', or {DATABASE_HINT} to an existing one"
    )


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


async def reach(url: URL) -> None:
    """Connects once, so that a database that cannot be reached fails here, in one line, before
    any work."""
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = {"timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url.render_as_string(hide_password=False), **options)
    try:
        async with engine.connect():
            pass
    except Exception as exc:
        raise database_failure(url, exc) from exc
    finally:
        await engine.dispose()


def announce(url: URL) -> None:
    """Names the database a command works on, on stderr: stdout may be JSON for a script."""
    typer.echo(f"database: {shown(url)}", err=True)
