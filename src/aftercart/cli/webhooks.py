"""``aftercart webhooks``: subscriptions, test events, the delivery log and redelivery.

The operator's view: every client's subscriptions, over the same service functions as the API.
"""

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.runtime import JsonOption
from aftercart.config import Settings
from aftercart.db import ids
from aftercart.events.webhooks import retention, rules, service
from aftercart.events.webhooks.oauth import OAuthSettings
from aftercart.events.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    SubscriptionCreated,
    SubscriptionOut,
    TestSent,
)

app = typer.Typer(help="Webhook subscriptions and deliveries.", no_args_is_help=True)

#: Ids beyond their column's range read as no row, so they are "not found" like any unknown id.
IdArgument = Annotated[int, typer.Argument(help="The subscription's id.", callback=ids.row_id)]
DeliveryArgument = Annotated[
    int, typer.Argument(help="The delivery's id.", callback=ids.big_row_id)
]


class DeliveryStatus(StrEnum):
    PENDING = rules.PENDING
    SUCCEEDED = rules.SUCCEEDED
    FAILED = rules.FAILED


def _print_json(value: BaseModel | list[Any]) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json())
    else:
        typer.echo(json.dumps([v.model_dump(mode="json") for v in value]))


def _describe(subscription: SubscriptionOut) -> str:
    events = ",".join(subscription.event_names) if subscription.event_names else "all events"
    state = "active" if subscription.active else f"disabled ({subscription.disabled_reason})"
    oauth = "  oauth" if subscription.oauth else ""
    return f"{subscription.id}  {subscription.url}  [{events}]  {state}{oauth}"


@app.command()
def add(
    client_id: Annotated[str, typer.Option("--client-id", help="The owning API client.")],
    url: Annotated[str, typer.Option("--url", help="Where callbacks are POSTed.")],
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event",
            help="An event name such as fulfillment.delivered (repeat; none: all events). "
            "Names are checked with the URL, so that every problem is told at once.",
        ),
    ] = None,
    oauth_token_url: Annotated[
        str | None,
        typer.Option("--oauth-token-url", help="Send callbacks with a token fetched here."),
    ] = None,
    oauth_client_id: Annotated[str | None, typer.Option("--oauth-client-id")] = None,
    oauth_client_secret: Annotated[str | None, typer.Option("--oauth-client-secret")] = None,
    oauth_scope: Annotated[str | None, typer.Option("--oauth-scope")] = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Subscribe a URL; prints the signing secret, shown only now."""
    oauth = None
    if oauth_token_url:
        if not (oauth_client_id and oauth_client_secret):
            raise typer.BadParameter("--oauth-token-url needs --oauth-client-id and -secret")
        oauth = OAuthSettings(oauth_token_url, oauth_client_id, oauth_client_secret, oauth_scope)
    allow_private = Settings().allow_private_webhooks

    async def work(session: AsyncSession) -> SubscriptionCreated:
        subscription = await service.create_subscription(
            session,
            client_id=client_id,
            url=url,
            event_names=event or None,
            oauth=oauth,
            allow_private=allow_private,
        )
        return SubscriptionCreated.of(subscription)

    created = runtime.run(work, database_url)
    if as_json:
        _print_json(created)
        return
    typer.echo(_describe(created))
    typer.echo(f"signing secret: {created.signing_secret}")
    typer.echo("Keep the secret now: it is not shown again.", err=True)


@app.command("list")
def list_subscriptions(
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="Only this client's.")
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List subscriptions (all clients' unless --client-id)."""

    async def work(session: AsyncSession) -> list[SubscriptionOut]:
        found = await service.list_subscriptions(session, client_id=client_id)
        return [SubscriptionOut.of(s) for s in found]

    subscriptions = runtime.run(work, database_url)
    if as_json:
        _print_json(subscriptions)
        return
    if not subscriptions:
        typer.echo("no webhook subscriptions", err=True)
    for subscription in subscriptions:
        typer.echo(_describe(subscription))


@app.command()
def remove(subscription_id: IdArgument, database_url: DatabaseUrlOption = None) -> None:
    """Delete a subscription with its delivery log."""

    async def work(session: AsyncSession) -> None:
        await service.delete_subscription(session, subscription_id=subscription_id, client_id=None)

    runtime.run(work, database_url)
    typer.echo(f"removed webhook subscription {subscription_id}", err=True)


@app.command("test")
def send_test(
    subscription_id: IdArgument, as_json: JsonOption = False, database_url: DatabaseUrlOption = None
) -> None:
    """Send a webhook.test event to one subscription (a running worker delivers it)."""

    async def work(session: AsyncSession) -> TestSent:
        owed = await service.send_test(session, subscription_id=subscription_id, client_id=None)
        return TestSent.of(owed)

    sent = runtime.run(work, database_url)
    if as_json:
        _print_json(sent)
        return
    typer.echo(f"event {sent.event_id} queued as delivery {sent.delivery_id} ({sent.webhook_id})")


@app.command()
def deliveries(
    subscription_id: IdArgument,
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only deliveries in it.")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=service.MAX_DELIVERIES_PAGE, help="At most this many.")
    ] = 50,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A subscription's deliveries, newest first."""

    async def work(session: AsyncSession) -> list[DeliveryOut]:
        rows = await service.list_deliveries(
            session,
            subscription_id=subscription_id,
            client_id=None,
            status=status.value if status else None,
            limit=limit,
        )
        return [DeliveryOut.of(delivery, name) for delivery, name in rows]

    found = runtime.run(work, database_url)
    if as_json:
        _print_json(found)
        return
    for d in found:
        error = f"  {d.last_error}" if d.last_error else ""
        typer.echo(
            f"{d.id}  {d.webhook_id}  event {d.event_id} {d.event_name}  {d.status}"
            f"  attempts={d.attempt_count}{error}"
        )


@app.command()
def delivery(
    delivery_id: DeliveryArgument,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """One delivery with every attempt (time, status, latency, start of the answer)."""

    async def work(session: AsyncSession) -> DeliveryDetail:
        record = await service.get_delivery(session, delivery_id=delivery_id, client_id=None)
        return DeliveryDetail.full(record.delivery, record.payload, record.attempts)

    detail = runtime.run(work, database_url)
    if as_json:
        _print_json(detail)
        return
    typer.echo(f"{detail.id}  {detail.webhook_id}  {detail.event_name}  {detail.status}")
    for a in detail.attempts:
        answer = a.status_code if a.status_code is not None else a.error
        excerpt = (a.response_excerpt or "")[:60].replace("\n", " ")
        typer.echo(f"  {a.started_at.isoformat()}  {answer}  {a.latency_ms} ms  {excerpt}")


@app.command()
def redeliver(
    delivery_id: DeliveryArgument,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Send a delivery again now, with the same webhook-id."""

    async def work(session: AsyncSession) -> DeliveryOut:
        again, name = await service.redeliver(session, delivery_id=delivery_id, client_id=None)
        return DeliveryOut.of(again, name)

    again = runtime.run(work, database_url)
    if as_json:
        _print_json(again)
        return
    typer.echo(f"delivery {again.id} ({again.webhook_id}) scheduled now")


@app.command()
def prune(
    older_than_days: Annotated[
        int | None,
        typer.Option(min=0, help="Default: AFTERCART_WEBHOOK_RETENTION_DAYS."),
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Delete finished deliveries (and their attempts) older than the retention now."""
    days = Settings().webhook_retention_days if older_than_days is None else older_than_days
    before = retention.cutoff(days)
    deleted = runtime.run_with_sessions(
        lambda sessions: retention.prune(sessions, before=before), database_url
    )
    if as_json:
        typer.echo(json.dumps({"deleted": deleted}))
        return
    typer.echo(f"{deleted} finished deliveries older than {days} days deleted")
