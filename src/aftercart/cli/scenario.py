"""``aftercart scenario``: scenario files, checked and played for an order (docs/scenarios.md)."""

import asyncio
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console

from aftercart.cli import database
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.failures import Failure
from aftercart.cli.runtime import JsonOption, cli_settings
from aftercart.sandbox import scenario_rules, scenarios
from aftercart.sandbox.lookup import AmbiguousOrder
from aftercart.sandbox.scenario_rules import Scenario, ScenarioError
from aftercart.sandbox.scenario_runner import Played

app = typer.Typer(help="Scenario files: named sequences of shopper actions for an order.")

FileArgument = Annotated[
    str, typer.Argument(help="A scenario file, or the name of a shipped scenario (see `list`).")
]


def _load(file_or_name: str) -> Scenario:
    """The scenario, or every problem of the file on stderr and exit 1."""
    path = scenarios.locate(file_or_name)
    try:
        return scenario_rules.parse(path.read_text(), source=str(path))
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None


@app.command("list")
def list_scenarios(as_json: JsonOption = False) -> None:
    """The scenarios that ship with Aftercart."""
    loaded = {name: _load(str(path)) for name, path in scenarios.shipped().items()}
    if as_json:
        typer.echo(json.dumps([{"name": n, "title": s.name} for n, s in loaded.items()]))
        return
    for name, scenario in loaded.items():
        typer.echo(f"{name:22} {scenario.name}: {scenario.description}")


@app.command("check")
def check(files: Annotated[list[str], typer.Argument(help="Scenario files.")]) -> None:
    """Checks scenario files without playing them; every problem names its file and line."""
    for file in files:
        scenario = _load(file)
        typer.echo(f"{file}: {scenario.name}, {len(scenario.steps)} steps")


@app.command("run")
def run(
    file: FileArgument,
    order: Annotated[str, typer.Option("--order", help="The retailer's order id.")],
    tenant: Annotated[
        int | None,
        typer.Option("--tenant", help="The order's tenant, when several have that order id."),
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Plays a scenario for an order through the sandbox API and reports each step; exits 1 at
    the first step that fails. A running server or worker delivers the webhooks."""
    scenario = _load(file)
    settings = cli_settings(database_url)
    if not settings.sandbox_enabled:
        raise Failure(
            "scenarios are a sandbox tool; "
            "set AFTERCART_SANDBOX=true (or AFTERCART_ENV=development)"
        )
    url = database.checked(database_url, create=False)
    console = Console(stderr=as_json, highlight=False)
    console.print(f"[bold]{scenario.name}[/bold] for order {order}")

    def report(played: Played) -> None:
        mark = "[green]ok[/green]  " if played.ok else "[red]FAIL[/red]"
        console.print(f"{mark} line {played.step.line:<3} {played.step.describe()}")
        console.print(f"       {played.detail}", markup=False)

    async def play() -> list[Played]:
        await database.reach(url)
        async with scenarios.playing(settings, order, tenant_id=tenant) as runner:
            return await runner.play(scenario, report)

    try:
        played = asyncio.run(play())
    except (scenarios.NoClient, AmbiguousOrder) as exc:
        raise Failure(str(exc)) from None
    if as_json:
        typer.echo(json.dumps([_as_json(p) for p in played]))
    failed = not played[-1].ok or len(played) < len(scenario.steps)
    if failed:
        raise typer.Exit(1)


def _as_json(played: Played) -> dict[str, object]:
    step = asdict(played.step)
    return {**step, "ok": played.ok, "detail": played.detail, "events": played.events}
