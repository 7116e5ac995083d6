"""The README's walk-through works when pasted: its ``sh`` blocks run in order, in one bash, against
``aftercart serve --sample-data`` on a fresh SQLite file, and every ``text`` block that follows a
walk-through block shows lines the run printed. ``docs/pickup.md``'s curbside walk-through is run
the same way."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.stream.processes import serving, until_healthy

README = Path(__file__).resolve().parents[1] / "README.md"
PICKUP = README.parent / "docs" / "pickup.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
DOCUMENTED_BASE = "http://127.0.0.1:8000"


def walkthrough_blocks(section: str | None = None) -> tuple[str, list[str]]:
    """The shell script of the walk-through, and the lines its ``text`` blocks say it prints;
    the README's by default, else those of ``section``."""
    if section is None:
        text = README.read_text()
        section = text[text.index("## Walk-through") : text.index("## The API")]
    blocks = BLOCK.findall(section)
    script = "\n".join(body for kind, body in blocks if kind == "sh")
    printed = [line for kind, body in blocks if kind == "text" for line in body.splitlines()]
    return script, printed


def activate_shim(folder: Path) -> None:
    """The walk-through starts with ``source .venv/bin/activate``; here that means this Python."""
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "activate").write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')


async def run_walkthrough(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by bash against a fresh ``aftercart serve --sample-data``."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'aftercart.db'}"
    activate_shim(tmp_path)
    with (
        (tmp_path / "server.log").open("wb") as log,
        serving(database_url, log, "--sample-data", run_worker="true") as base,
    ):
        async with httpx.AsyncClient(base_url=base) as client:
            await until_healthy(client)
        return subprocess.run(
            ["bash", "-c", "set -eo pipefail\n" + script.replace(DOCUMENTED_BASE, base)],
            cwd=tmp_path,
            env={**os.environ, "AFTERCART_DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
async def test_the_pickup_walkthrough_runs_as_written(tmp_path: Path) -> None:
    script, printed = walkthrough_blocks(PICKUP.read_text())
    assert "runner_customer" in script
    assert "pickup/user_arrived" in script
    run = await run_walkthrough(tmp_path, script)
    assert run.returncode == 0, run.stderr + run.stdout
    lines = run.stdout.splitlines()
    position = 0
    for line in printed:
        assert line in lines[position:], f"pickup.md says the walk-through prints {line!r}"
        position = lines.index(line, position) + 1


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
async def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    script, printed = walkthrough_blocks()
    assert "aftercart clients create" in script
    assert printed
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'aftercart.db'}"
    activate_shim(tmp_path)
    with (
        (tmp_path / "server.log").open("wb") as log,
        serving(database_url, log, "--sample-data", run_worker="true") as base,
    ):
        async with httpx.AsyncClient(base_url=base) as client:
            await until_healthy(client)
        run = subprocess.run(
            ["bash", "-c", "set -eo pipefail\n" + script.replace(DOCUMENTED_BASE, base)],
            cwd=tmp_path,
            env={**os.environ, "AFTERCART_DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = run.stdout
    assert run.returncode == 0, run.stderr + output
    for line in printed:
        assert line in output, f"the README says the walk-through prints {line!r}"
    assert '"status":"brand_new"' in output
    assert "event: fulfillment.order_item_replacement" in output
    assert '{"status":"delivered"' in output
    assert '"rating_value":"STARS5"' in output
    assert '{"result":"OK"}' in output
    assert '"event_name":"webhook.test"' in output
    assert (tmp_path / "ratings.csv").read_text().count("\n") == 3
