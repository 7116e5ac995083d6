"""docs/sandbox.md's shell examples work when pasted: its walk-through, then the examples of
triggers, lists, faults, the clock, autopilot shoppers and the reset, run in order in one bash
against a fresh ``aftercart serve --sample-data``; each ``text`` block shows lines the run
printed, in order."""

import re
import shutil
from pathlib import Path

import pytest

from tests.test_readme import BLOCK, run_walkthrough

SANDBOX_DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
#: The sections whose examples run, in this order.
SECTIONS = (
    "Walk-through",
    "Triggers",
    "Lists: what the sandbox created",
    "Faults",
    "Clock",
    "Autopilot shoppers",
    "Reset",
)


def section(text: str, title: str) -> str:
    start = re.search(rf"^## {re.escape(title)}\b.*$", text, re.MULTILINE)
    assert start is not None, title
    end = text.find("\n## ", start.end())
    return text[start.end() : end if end >= 0 else None]


def examples() -> tuple[str, list[str]]:
    text = SANDBOX_DOC.read_text()
    blocks = [b for title in SECTIONS for b in BLOCK.findall(section(text, title))]
    script = "\n".join(body for kind, body in blocks if kind == "sh")
    printed = [line for kind, body in blocks if kind == "text" for line in body.splitlines()]
    return script, printed


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
async def test_the_sandbox_examples_run_as_written(tmp_path: Path) -> None:
    script, printed = examples()
    for example in ("/trigger", "/batches/1", "/faults", "/clock/advance", "/autopilot", "/reset"):
        assert example in script
    # The page is pasted in a terminal where Aftercart is installed (./scripts/serve's venv).
    run = await run_walkthrough(tmp_path, "source .venv/bin/activate\n" + script)
    assert run.returncode == 0, run.stderr + run.stdout
    lines = run.stdout.splitlines()
    position = 0
    for line in printed:
        assert line in lines[position:], f"sandbox.md says it prints {line!r}\n{run.stdout}"
        position = lines.index(line, position) + 1
