"""``aftercart serve`` and ``aftercart worker``."""

import asyncio
import contextlib
import gc
import os
import socket
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import modes
from aftercart.cli import database, listening, runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.config import Settings
from aftercart.observability import logs, metrics
from aftercart.sample_data import SampleData, load_sample_data


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _announce_sample_data(loaded: SampleData | None) -> None:
    if loaded is None:
        typer.echo("The database already holds products or stores: sample data not loaded.")
        return
    typer.echo(
        f"Loaded sample data: {loaded.products.imported} products, {loaded.stores.imported} stores."
    )


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    sample_data: Annotated[
        bool, typer.Option("--sample-data", help="Load the sample catalog and stores if empty.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Server processes sharing the port (uvicorn workers)."),
    ] = 1,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Take the port, create or migrate the database, load sample data if asked, serve the API."""
    settings = runtime.cli_settings(database_url)
    modes.check(settings)

    async def prepare(session: AsyncSession) -> SampleData | None:
        return await load_sample_data(session) if sample_data else None

    with listening.bind(host, port) as sock:
        loaded = runtime.run(prepare, database_url, create=True)
        if sample_data:
            _announce_sample_data(loaded)
        if database_url is not None:  # the app reads the environment, here and in workers
            os.environ["AFTERCART_DATABASE_URL"] = database_url
        if workers > 1:
            _share_streams_between_workers(settings)
        config = uvicorn.Config(
            "aftercart.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            backlog=listening.BACKLOG,
            log_level=settings.log_level.lower(),
            log_config=logs.uvicorn_config(settings.log_level, settings.log_format),
            # Aftercart writes its own line per request, with the request id.
            access_log=False,
        )
        url = _base_url(host, port)
        typer.echo(f"Aftercart on {url}  (API docs: {url}/docs)")
        gc.set_threshold(*GC_THRESHOLDS)
        with metrics.shared_between_workers(workers):
            listening.run(config, sock)


#: CPython's default (700, 10, 10) starts a collection every 700 allocations, and a full one
#: (which walks every object of a thousand open streams: 0.2-0.4 s) every few seconds under load;
#: these keep collections, and their pauses in every stream, rare.
GC_THRESHOLDS = (50_000, 20, 10)

#: On SQLite, how often each of several workers reads the events table for the others' events.
SQLITE_WORKERS_POLL_SECONDS = "0.25"


def _share_streams_between_workers(settings: Settings) -> None:
    """Workers on PostgreSQL hear each other's events through LISTEN/NOTIFY. On SQLite they
    have only the events table, so unless the poll interval was set, it is made short enough
    that a stream on one worker sees another's events within a quarter of a second."""
    on_sqlite = settings.database_url.startswith("sqlite")
    if on_sqlite and "AFTERCART_STREAM_POLL_SECONDS" not in os.environ:
        os.environ["AFTERCART_STREAM_POLL_SECONDS"] = SQLITE_WORKERS_POLL_SECONDS


def worker(
    database_url: DatabaseUrlOption = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve Prometheus metrics at /metrics on this TCP port (default: none).",
            show_default=False,
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Interface the metrics port listens on.")
    ] = "127.0.0.1",
) -> None:
    """Run the webhook delivery worker on its own, for deployments with several servers."""
    from aftercart.events.webhooks.worker import run_alone

    settings = runtime.cli_settings(database_url)
    # As serve does: the port is taken before the database is touched.
    with _metrics_socket(metrics_host, metrics_port) as sock:
        url = database.checked(database_url, create=False)

        async def main() -> None:
            await database.reach(url)
            database.announce(url)
            if metrics_port is not None:
                typer.echo(f"Metrics on {_base_url(metrics_host, metrics_port)}/metrics")
            typer.echo("Webhook worker running (Ctrl-C stops)")
            await run_alone(settings, metrics_socket=sock)

        asyncio.run(main())


def _metrics_socket(
    host: str, port: int | None
) -> contextlib.AbstractContextManager[socket.socket | None]:
    if port is None:
        return contextlib.nullcontext()
    return listening.bind(host, port, host_option="--metrics-host", port_option="--metrics-port")
