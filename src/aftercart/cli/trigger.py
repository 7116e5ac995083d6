"""``aftercart trigger``: send any callback of the catalogue for an order, as the sandbox's
``POST /v2/fulfillment_sandbox/orders/{order_id}/trigger`` does (``docs/sandbox.md``)."""

import json
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.failures import Failure
from aftercart.cli.runtime import JsonOption
from aftercart.config import Settings
from aftercart.errors import InvalidParameter
from aftercart.sandbox import trigger_rules, triggers
from aftercart.sandbox.lookup import AmbiguousOrder, order_of_tenant


def trigger(
    event: Annotated[
        str, typer.Argument(help="An event name of the catalogue, e.g. fulfillment.picking.")
    ],
    order: Annotated[str, typer.Option("--order", help="The retailer's order id.")],
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="FIELD=VALUE, a field of event_metadata by dotted path (item.status=found); "
            "VALUE is read as JSON when it is JSON, else as text. Repeat for several.",
        ),
    ] = None,
    line: Annotated[
        str | None,
        typer.Option("--line", help="For an item event, the line_num it is about."),
    ] = None,
    tenant: Annotated[
        int | None,
        typer.Option("--tenant", help="The order's tenant, when several have that order id."),
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Send a callback for an order; prints the event id and its payload. A running server or
    worker delivers it to webhooks, and live streams get it."""
    try:
        overrides = trigger_rules.parse_assignments(assignments or [])
    except InvalidParameter as exc:
        raise typer.BadParameter(exc.message, param_hint="'--set'") from None
    settings = Settings()
    if not settings.sandbox_enabled:
        # Made-up callbacks must never reach a production retailer's receivers.
        raise Failure(
            "triggers are a sandbox tool; set AFTERCART_SANDBOX=true (or AFTERCART_ENV=development)"
        )
    category = settings.pickup_category

    async def work(session: AsyncSession) -> dict[str, Any]:
        try:
            await order_of_tenant(session, order, tenant)
        except AmbiguousOrder as exc:
            raise Failure(str(exc)) from None
        event_row = await triggers.trigger(
            session,
            order_ref=order,
            event_name=event,
            overrides=overrides,
            pickup_category=category,
            line_num=line,
        )
        return triggers.wire(event_row)

    body = runtime.run(work, database_url)
    if as_json:
        typer.echo(json.dumps(body))
        return
    typer.echo(f"event {body['event_id']}  {body['event_name']}  order {order}")
    typer.echo(json.dumps(body["event_metadata"], indent=2))
