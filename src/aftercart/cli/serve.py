"""``aftercart serve`` and ``aftercart worker``."""

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
) -> None:
    """Migrate the database, optionally load sample data, and run the API server."""
    settings = Settings()

    async def prepare(session: AsyncSession) -> SampleData | None:
        return await load_sample_data(session) if sample_data else None

    loaded = runtime.run(prepare, settings)
    typer.echo(f"Database: {runtime.shown_url(settings.database_url)}")
    if sample_data:
        _announce_sample_data(loaded)
    url = _base_url(host, port)
    typer.echo(f"Aftercart on {url}  (API docs: {url}/docs)")
    uvicorn.run(
        "aftercart.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
    )


def worker() -> None:
    """Run the webhook delivery worker on its own, for deployments with several servers."""
    import asyncio

    from aftercart.events.webhooks.worker import run_alone

    settings = Settings()
    typer.echo(f"Webhook worker on {runtime.shown_url(settings.database_url)} (Ctrl-C stops)")
    asyncio.run(run_alone(settings))
