"""``docs/last_mile.md``'s walk-through works when pasted: its ``sh`` blocks run in one bash
against ``aftercart serve --sample-data`` (as ``tests/test_readme.py`` runs the README's), and
the lines its ``text`` block shows come out in that order."""

import shutil
from pathlib import Path

import pytest

from tests.test_readme import run_walkthrough, walkthrough_blocks

LAST_MILE = Path(__file__).resolve().parents[1] / "docs" / "last_mile.md"


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
async def test_the_last_mile_walkthrough_runs_as_written(tmp_path: Path) -> None:
    text = LAST_MILE.read_text()
    script, printed = walkthrough_blocks(text[text.index("## Walk-through") :])
    assert "delivery_only" in script
    assert "/staged" in script
    assert printed
    run = await run_walkthrough(tmp_path, script)
    assert run.returncode == 0, run.stderr + run.stdout
    lines = run.stdout.splitlines()
    position = 0
    for line in printed:
        assert line in lines[position:], f"last_mile.md says the walk-through prints {line!r}"
        position = lines.index(line, position) + 1
