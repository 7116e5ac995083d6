"""``aftercart serve`` and ``aftercart worker``."""

import gc
import os
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.cli import runtime
from aftercart.config import Settings
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
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    sample_data: Annotated[
        bool, typer.Option("--sample-data", help="Load the sample catalog and stores if empty.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Server processes sharing the port (uvicorn workers)."),
    ] = 1,
) -> None:
    """Migrate the database, optionally load sample data, and run the API server."""
    settings = Settings()
    if workers > 1:
        _share_streams_between_workers(settings)

    async def prepare(session: AsyncSession) -> SampleData | None:
        return await load_sample_data(session) if sample_data else None

    loaded = runtime.run(prepare, settings)
    typer.echo(f"Database: {runtime.shown_url(settings.database_url)}")
    if sample_data:
        _announce_sample_data(loaded)
    url = _base_url(host, port)
    typer.echo(f"Aftercart on {url}  (API docs: {url}/docs)")
    gc.set_threshold(*GC_THRESHOLDS)
    uvicorn.run(
        "aftercart.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # Aftercart writes its own line per request, with the request id.
        access_log=False,
    )


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


def worker() -> None:
    """Run the webhook delivery worker on its own, for deployments with several servers."""
    import asyncio

    from aftercart.events.webhooks.worker import run_alone

    settings = Settings()
    typer.echo(f"Webhook worker on {runtime.shown_url(settings.database_url)} (Ctrl-C stops)")
    asyncio.run(run_alone(settings))
