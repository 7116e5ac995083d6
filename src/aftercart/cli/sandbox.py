"""``aftercart sandbox``: sandbox tools on the database directly. ``faults`` adds, lists and
removes a client's fault rules, as ``/v2/fulfillment_sandbox/faults`` does (``docs/sandbox.md``,
"Faults"); a running server sees a change within a second. ``reset`` wipes a tenant's data, as
``/v2/fulfillment_sandbox/reset`` does ("Reset")."""

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import UnknownTenant
from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.failures import Failure
from aftercart.cli.runtime import JsonOption, cli_settings
from aftercart.config import Settings
from aftercart.models import ApiClient
from aftercart.sandbox import faults
from aftercart.sandbox.fault_schemas import EffectSpec, FaultCreate, FaultView
from aftercart.sandbox.reset import reset_tenant
from aftercart.sandbox.reset_schemas import Removed, ResetDone

T = TypeVar("T")

app = typer.Typer(help="Sandbox tools: fault rules, a tenant's reset.", no_args_is_help=True)
faults_app = typer.Typer(
    help="Fault rules: delay, fail or cut a client's requests and webhook deliveries.",
    no_args_is_help=True,
)
app.add_typer(faults_app, name="faults")

ClientOption = Annotated[
    str, typer.Option("--client", help="The client whose rules these are (its client_id).")
]
Millis = Annotated[int | None, typer.Option(min=0, help="Milliseconds.")]


def _run(client_id: str, work: Callable[[AsyncSession], Awaitable[T]], url: str | None) -> T:
    """Runs ``work`` once the sandbox and the client are known to be there."""
    if not Settings().sandbox_enabled:
        # Rules are read only by a server or worker with the sandbox on.
        raise Failure(
            "faults are a sandbox tool; set AFTERCART_SANDBOX=true (or AFTERCART_ENV=development)"
        )

    async def checked(session: AsyncSession) -> T:
        if await session.get(ApiClient, client_id) is None:
            raise Failure(f"no client {client_id}; see aftercart clients list")
        return await work(session)

    return runtime.run(checked, url)


def _line(fault: FaultView) -> str:
    aim = f"{fault.method} {fault.path}" if fault.target == "api" else f"event {fault.event}"
    effect = fault.effect.model_dump(exclude_none=True)
    kind = effect.pop("type")
    params = " ".join(f"{key}={value}" for key, value in effect.items())
    return (
        f"{fault.id}  {fault.target:<7}  {aim}  p={fault.probability:g} seed={fault.seed}  "
        f"{kind} {params}".rstrip()
        + f"  (consulted {fault.consulted})"
    )


def _shown(fault: FaultView) -> dict[str, Any]:
    return fault.model_dump(mode="json", exclude_none=True)


@faults_app.command("add")
def add(
    client: ClientOption,
    effect: Annotated[
        str,
        typer.Option(
            "--effect", help="api: latency, error, drop; webhook: slow, duplicate, reorder."
        ),
    ],
    target: Annotated[str, typer.Option(help="api (requests) or webhook (deliveries).")] = "api",
    method: Annotated[str | None, typer.Option(help="api: a method, or * (the default).")] = None,
    path: Annotated[
        str | None, typer.Option(help="api: a path glob, * for any characters: '/v2/*'.")
    ] = None,
    event: Annotated[
        str | None, typer.Option(help="webhook: an event name glob: 'fulfillment.*'.")
    ] = None,
    probability: Annotated[float, typer.Option(help="From 0 to 1.")] = 1.0,
    seed: Annotated[int | None, typer.Option(help="Replays the same draws.")] = None,
    ms: Millis = None,
    min_ms: Millis = None,
    max_ms: Millis = None,
    status: Annotated[int | None, typer.Option(help="error: 429, 500 or 503.")] = None,
    retry_after: Annotated[
        int | None, typer.Option(help="error 429 or 503: Retry-After seconds (1).")
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a fault rule for a client; prints it."""
    spec = EffectSpec(
        type=effect, ms=ms, min_ms=min_ms, max_ms=max_ms, status=status, retry_after=retry_after
    )
    payload = FaultCreate(
        target=target,
        method=method,
        path=path,
        event=event,
        probability=probability,
        seed=seed,
        effect=spec,
    )
    rule = faults.rule_from(payload)

    async def work(session: AsyncSession) -> FaultView:
        return faults.view(await faults.create_fault(session, client_id=client, rule=rule))

    added = _run(client, work, database_url)
    typer.echo(json.dumps(_shown(added)) if as_json else _line(added))


@faults_app.command("list")
def list_faults(
    client: ClientOption, as_json: JsonOption = False, database_url: DatabaseUrlOption = None
) -> None:
    """List a client's fault rules, oldest first."""

    async def work(session: AsyncSession) -> list[FaultView]:
        return [faults.view(row) for row in await faults.list_faults(session, client_id=client)]

    found = _run(client, work, database_url)
    if as_json:
        typer.echo(json.dumps([_shown(fault) for fault in found]))
        return
    if not found:
        typer.echo("no fault rules: aftercart sandbox faults add --client ID ...", err=True)
    for fault in found:
        typer.echo(_line(fault))


@faults_app.command("remove")
def remove(
    client: ClientOption,
    fault_id: Annotated[int | None, typer.Argument(help="The rule's id.", min=1)] = None,
    every: Annotated[bool, typer.Option("--all", help="Remove all of the client's rules.")] = False,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove one fault rule by its id, or all of a client's with --all."""
    if (fault_id is None) == (not every):
        raise typer.BadParameter("give either a rule's ID or --all", param_hint="'ID'")

    async def work(session: AsyncSession) -> int:
        if fault_id is None:
            return await faults.delete_all(session, client_id=client)
        await faults.delete_fault(session, client_id=client, fault_id=fault_id)
        return 1

    deleted = _run(client, work, database_url)
    typer.echo(json.dumps({"deleted": deleted}) if as_json else f"removed {deleted} fault rule(s)")


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(tenant: int) -> None:
    """Asks on a terminal; anywhere else (a script, CI) a reset must say ``--yes``."""
    if not _interactive():
        raise Failure(f"reset removes all of tenant {tenant}'s data; run it again with --yes")
    if not typer.confirm(
        f"Remove every user, order, shopper, rating and event of tenant {tenant}?", err=True
    ):
        raise Failure("not confirmed; nothing was removed")


@app.command("reset")
def reset(
    tenant: Annotated[
        int,
        typer.Option(
            "--tenant", help="The tenant to wipe (a number from `aftercart clients list`).", min=1
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Wipe a tenant's data; prints how much of each kind was removed.

    Its users, orders, shoppers, batches, Instacart users, ratings, events, POS transactions,
    webhook deliveries and monitored requests go, in one transaction; its clients, webhook
    subscriptions, fault rules and branding are kept."""
    if not cli_settings(database_url).sandbox_enabled:
        raise Failure(
            "reset is a sandbox tool; set AFTERCART_SANDBOX=true (or AFTERCART_ENV=development)"
        )
    if not yes:
        _confirm(tenant)

    async def work(session: AsyncSession) -> Removed:
        return await reset_tenant(session, tenant)

    try:
        removed = runtime.run(work, database_url)
    except UnknownTenant as exc:
        raise Failure(f"{exc}: `aftercart clients list` shows the tenants") from None
    if as_json:
        typer.echo(json.dumps(ResetDone(removed=removed).model_dump()))
        return
    for kind, count in removed.model_dump().items():
        typer.echo(f"{kind.replace('_', ' '):<20} {count}")
    typer.echo(
        f"tenant {tenant} reset; its clients, webhook subscriptions, fault rules and branding "
        "are kept",
        err=True,
    )
