"""Driving the ``aftercart`` command with Typer's runner.

The commands run their own event loop (``asyncio.run``), so async tests call them in a worker
thread. Settings come from ``AFTERCART_DATABASE_URL`` in the runner's environment.
"""

from pathlib import Path

import anyio.to_thread
from click.testing import Result
from typer.testing import CliRunner

from aftercart.cli.main import app


def invoke(database_url: str, *args: str) -> Result:
    runner = CliRunner(env={"AFTERCART_DATABASE_URL": database_url})
    return runner.invoke(app, list(args), catch_exceptions=False)


async def cli(database_url: str, *args: str) -> Result:
    return await anyio.to_thread.run_sync(lambda: invoke(database_url, *args))


def said(result: Result) -> list[str]:
    """The lines a command wrote to stderr after naming its database."""
    return [line for line in result.stderr.splitlines() if not line.startswith("database: ")]


def write_csv(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path
