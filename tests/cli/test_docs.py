"""docs/cli.md lists every command of the CLI with every option it takes."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from aftercart.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def commands(command: Any, path: str) -> Iterator[tuple[str, list[str], bool]]:
    """Every command under ``command``: its path, its long options, and whether it has
    subcommands."""
    subcommands = getattr(command, "commands", {})
    options = [opt for p in command.params if p.param_type_name == "option" for opt in p.opts]
    yield path, [opt for opt in options if opt.startswith("--")], bool(subcommands)
    for name, sub in subcommands.items():
        yield from commands(sub, f"{path} {name}")


def test_every_command_and_option_is_documented() -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `aftercart")]
    listed = list(commands(typer.main.get_command(app), "aftercart"))
    assert {path for path, _, _ in listed} >= {"aftercart webhooks prune", "aftercart worker"}
    for path, options, is_group in listed:
        if path == "aftercart":
            described = [
                row for row in rows if row.startswith(("| `aftercart [", "| `aftercart -"))
            ]
        elif is_group:
            continue
        else:
            described = [row for row in rows if row.startswith((f"| `{path} ", f"| `{path}`"))]
            assert described, f"docs/cli.md has no row for {path}"
        for option in options:
            assert any(option in row for row in described), f"{path} {option} is not documented"
