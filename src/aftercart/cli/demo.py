"""``aftercart demo``: a whole order played by itself on a throw-away Aftercart.

A temporary folder holds a new SQLite database with the sample data and one API client; the
command serves Aftercart from it in development mode (sandbox on) with timings fast enough for
the order to be delivered in seconds, plays :class:`~aftercart.cli.demo_story.Story` through
the HTTP API, then stops the server and removes the folder (with ``--keep``, only on Ctrl-C).
"""

import asyncio
import contextlib
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Final

import httpx
import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import IssuedCredentials, create_client
from aftercart.cli import listening, runtime
from aftercart.cli.demo_server import DemoServer
from aftercart.cli.demo_story import Client, Say, Story
from aftercart.cli.failures import Failure
from aftercart.config import Settings
from aftercart.models import Product
from aftercart.sample_data import load_sample_data
from aftercart.sandbox.autopilot_rules import MAX_SEED

HOST: Final = "127.0.0.1"
TIMEOUT_SECONDS: Final = 90.0
#: The exit status of a command stopped by Ctrl-C before it was done (as shells report it).
INTERRUPTED: Final = 130


def demo_settings(folder: Path) -> Settings:
    """Development mode on a database in ``folder``; links are made from the request's URL.
    The sandbox's timers are fast: the autopilot looks for due steps five times a second, and
    the trip from the store to the door takes 8 seconds, with a position every second."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'aftercart.db'}",
        env="development",
        sandbox=True,
        public_url=None,
        log_level="WARNING",
        log_format="text",
        autopilot_tick_seconds=0.2,
        shopper_trip_seconds=8,
        shopper_move_seconds=1,
    )


async def _prepare(session: AsyncSession) -> tuple[IssuedCredentials, int]:
    """The sample data, the demo's API client, and how many products a shopper may put in
    place of a line's own (what the autopilot's plan counts)."""
    await load_sample_data(session)
    issued = await create_client(session, name="aftercart demo")
    named = or_(Product.upc.is_not(None), Product.rrc.is_not(None))
    products = await session.scalar(select(func.count()).select_from(Product).where(named))
    return issued, max((products or 0) - 1, 0)


def demo(
    keep: Annotated[
        bool, typer.Option("--keep", help="Stay up after the order is rated, until Ctrl-C.")
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="TCP port (default: a free one).", show_default=False),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=MAX_SEED,
            help="The autopilot's seed (default: the first whose plan has a replaced, a "
            "refunded and a found line).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(min=1, help="Give up (exit 1) if the order is not rated by then, in seconds."),
    ] = TIMEOUT_SECONDS,
) -> None:
    """Plays a whole order on a temporary Aftercart: an autopilot shopper picks it (a
    replacement, a refund), chats and delivers it; the customer approves and rates it."""
    started = time.monotonic()
    console = Console(highlight=False, soft_wrap=True)

    def clock() -> float:
        return time.monotonic() - started

    def say(text: str, *, style: str = "") -> None:
        console.print(Text.assemble((f"{clock():6.1f}s  ", "dim"), (text, style)))

    finished = False
    try:
        with (
            _stopped_by_signals(),
            tempfile.TemporaryDirectory(prefix="aftercart-demo-") as folder,
            listening.bind(HOST, port or 0) as sock,
        ):
            settings = demo_settings(Path(folder))
            issued, catalog_size = runtime.run(_prepare, settings.database_url, create=True)
            base_url = f"http://{HOST}:{sock.getsockname()[1]}"
            server = DemoServer(settings, sock)
            server.start()
            try:
                say(f"Aftercart on {base_url} (sandbox, a temporary database)")
                client = Client(issued.client_id, issued.client_secret)
                story = asyncio.run(
                    _play(base_url, client, catalog_size, seed, say, clock, timeout)
                )
                finished = True
                say(f"done: the order was delivered and rated in {clock():.1f} s", style="green")
                if keep:
                    _stay_up(console, server, base_url, client, story)
            finally:
                server.stop()
    except KeyboardInterrupt:
        console.print("stopped")
        if not (finished and keep):
            raise typer.Exit(INTERRUPTED) from None


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Ctrl-C, and SIGTERM as if it were one, stop the demo cleanly even where the caller's
    shell ignores SIGINT (a background job); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; the caller's own stay in force
        return

    def interrupt(signum: int, frame: object) -> None:
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)


async def _play(
    base_url: str,
    client: Client,
    catalog_size: int,
    seed: int | None,
    say: Say,
    clock: Callable[[], float],
    timeout: float,
) -> Story:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30) as http:
        story = Story(http, client, catalog_size=catalog_size, seed=seed, say=say, clock=clock)
        try:
            async with asyncio.timeout(timeout):
                await story.play()
        except TimeoutError:
            raise Failure(
                f"the demo timed out after {timeout:g} s waiting for {story.waiting_for}"
            ) from None
        except httpx.HTTPError as exc:
            raise Failure(f"lost Aftercart at {base_url}: {exc!r}") from exc
        return story


def _stay_up(
    console: Console, server: DemoServer, base_url: str, client: Client, story: Story
) -> None:
    """Shows how to reach the server, then serves until Ctrl-C (or until the server fails)."""
    console.print(f"Aftercart stays up on {base_url} (API docs: {base_url}/docs)")
    console.print(f"client_id:     {client.client_id}")
    console.print(f"client_secret: {client.client_secret}")
    console.print(f"order status:  {story.order_url}")
    console.print("The autopilot shopper takes new delivery orders. Ctrl-C stops.")
    server.wait()
    raise Failure("the server stopped")
