"""The second yardstick for ``bench/api_throughput.py``: what one database query per request
costs by itself, in a bare Starlette app.

    .venv/bin/python -m bench.query_floor --config FILE [--port 8001] [--workers N]

For each of the three hot reads, at Aftercart's own path, the app does only this:

- the token: the SHA-256 of the bearer token looked up in a dict (user tokens for the two
  post-checkout reads, client tokens for the fulfillment read), filled at start-up from the
  config file. It stands for a perfect token cache: no database, no expiry, no scopes.
- the query: the very statement Aftercart's read runs (``_USERS_ORDER`` and
  ``_USER_AND_ORDER`` of aftercart.fulfillment.snapshot, ``_HANDLING`` of
  aftercart.post_checkout.service), compiled once by SQLAlchemy for the database's dialect and
  then run through the raw driver: one ``sqlite3`` connection used on the event loop's thread,
  as aftercart.db.sqlite_inline does, or an ``asyncpg`` pool of Aftercart's size, whose statement
  cache prepares each statement once per connection. One statement, no transaction around it,
  no SQLAlchemy session, no FastAPI, no pydantic.
- the answer: the rows as JSON arrays of their raw values (``json.dumps``; dates and decimals as
  ``str``). This is NOT Aftercart's answer shape and not byte-identical to it: the figure is the
  cost of token + one query + JSON of the rows, the floor under any answer built from that query.

Served under the same uvicorn options as ``bench/reference.py`` (:func:`bench.reference.launch`).
"""

import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aftercart.auth.secrets import digest
from aftercart.db.engine import MAX_OVERFLOW, POOL_SIZE, normalize_url
from aftercart.fulfillment.snapshot import _USER_AND_ORDER, _USERS_ORDER
from aftercart.post_checkout.service import _HANDLING
from bench import reference

CONFIG_ENV = "AFTERCART_QUERY_FLOOR_CONFIG"
JSON_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class Config:
    database_url: str
    #: SHA-256 hex digest of a user token → its user id.
    users: dict[str, str]
    #: SHA-256 hex digest of a client token → its client id.
    clients: dict[str, str]


def write_config(path: Path, config: Config) -> None:
    path.write_text(json.dumps(asdict(config)))


def read_config(path: Path) -> Config:
    return Config(**json.loads(path.read_text()))


def driver_name(database_url: str) -> str:
    return "sqlite3" if make_url(database_url).get_backend_name() == "sqlite" else "asyncpg"


@dataclass(frozen=True)
class Statement:
    sql: str
    #: The bind parameters' names, in the order the driver takes their values.
    names: tuple[str, ...]

    def args(self, **values: str) -> tuple[str, ...]:
        return tuple(values[name] for name in self.names)


def compiled(statement: ClauseElement, database_url: str) -> Statement:
    """``statement`` as Aftercart's engine on ``database_url`` sends it to the driver."""
    dialect = make_url(normalize_url(database_url)).get_dialect()()
    found = statement.compile(dialect=dialect)
    assert isinstance(found, SQLCompiler)
    return Statement(str(found), tuple(found.positiontup or ()))


class Driver(Protocol):
    async def fetch(self, statement: Statement, args: tuple[str, ...]) -> Sequence[Any]: ...

    async def close(self) -> None: ...


class SqliteDriver:
    def __init__(self, database: str) -> None:
        self._connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)

    async def fetch(self, statement: Statement, args: tuple[str, ...]) -> Sequence[Any]:
        return self._connection.execute(statement.sql, args).fetchall()

    async def close(self) -> None:
        self._connection.close()


class AsyncpgDriver:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, database_url: str) -> "AsyncpgDriver":
        dsn = make_url(database_url).set(drivername="postgresql")
        pool = await asyncpg.create_pool(
            dsn.render_as_string(hide_password=False),
            min_size=POOL_SIZE,
            max_size=POOL_SIZE + MAX_OVERFLOW,
        )
        return cls(pool)

    async def fetch(self, statement: Statement, args: tuple[str, ...]) -> Sequence[Any]:
        rows: Sequence[Any] = await self._pool.fetch(statement.sql, *args)
        return rows

    async def close(self) -> None:
        await self._pool.close()


async def connect(database_url: str) -> Driver:
    if driver_name(database_url) == "sqlite3":
        return SqliteDriver(make_url(database_url).database or "")
    return await AsyncpgDriver.connect(database_url)


def _plain(value: object) -> object:
    """What ``json`` cannot write itself: asyncpg's records (as arrays), dates and decimals."""
    if isinstance(value, asyncpg.Record):
        return list(value)
    return str(value)


def _rows(rows: Sequence[Any]) -> Response:
    if not rows:
        return Response(b'{"error":"not found"}', status_code=404, headers=JSON_HEADERS)
    return Response(json.dumps(rows, default=_plain).encode(), headers=JSON_HEADERS)


def _who(request: Request, tokens: dict[str, str]) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return tokens.get(digest(value.strip()))


def _unauthorized() -> Response:
    return Response(b'{"error":"unauthorized"}', status_code=401, headers=JSON_HEADERS)


class Floor:
    """The three reads over one driver, opened in the app's lifespan (an asyncpg pool belongs
    to the event loop that made it)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        url = config.database_url
        self.items = compiled(_USERS_ORDER, url)
        self.handling = compiled(_HANDLING, url)
        self.fulfillment_order = compiled(_USER_AND_ORDER, url)
        self.driver: Driver | None = None

    async def _answer(self, statement: Statement, **values: str) -> Response:
        assert self.driver is not None
        return _rows(await self.driver.fetch(statement, statement.args(**values)))

    async def get_items(self, request: Request) -> Response:
        user_id = _who(request, self.config.users)
        if user_id is None:
            return _unauthorized()
        order_id = request.path_params["order_id"]
        return await self._answer(self.items, order_id=order_id, user_id=user_id)

    async def get_handling(self, request: Request) -> Response:
        user_id = _who(request, self.config.users)
        if user_id is None:
            return _unauthorized()
        order_id = request.path_params["order_id"]
        return await self._answer(self.handling, order_id=order_id, user_id=user_id)

    async def get_fulfillment_order(self, request: Request) -> Response:
        if _who(request, self.config.clients) is None:
            return _unauthorized()
        params = request.path_params
        return await self._answer(
            self.fulfillment_order, order_id=params["order_id"], user_id=params["user_id"]
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self.driver = await connect(self.config.database_url)
        try:
            yield
        finally:
            await self.driver.close()


def create_app() -> Starlette:
    """The factory uvicorn calls in each worker; the config comes by file, as in
    bench/reference.py."""
    floor = Floor(read_config(Path(os.environ[CONFIG_ENV])))
    routes = [
        Route("/healthz", reference.healthz),
        Route("/v2/post_checkout/orders/{order_id}/items", floor.get_items),
        Route("/v2/post_checkout/orders/{order_id}/handling", floor.get_handling),
        Route("/v2/fulfillment/users/{user_id}/orders/{order_id}", floor.get_fulfillment_order),
    ]
    return Starlette(routes=routes, lifespan=floor.lifespan)


def main() -> None:
    reference.launch(
        "bench.query_floor:create_app", file_option="--config", file_env=CONFIG_ENV, doc=__doc__
    )


if __name__ == "__main__":
    main()
