"""``aftercart clients``: API clients (OAuth applications) of retailers."""

import json
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import IssuedCredentials, create_client
from aftercart.cli import runtime
from aftercart.cli.runtime import JsonOption
from aftercart.models import ApiClient

app = typer.Typer(help="API clients: create them and list them.", no_args_is_help=True)


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="Who the client is for.")],
    as_json: JsonOption = False,
) -> None:
    """Register a Connect client and print its id and secret. The secret is shown only now."""

    async def work(session: AsyncSession) -> IssuedCredentials:
        return await create_client(session, name=name)

    runtime.show_credentials(runtime.run(work), as_json=as_json)


@app.command("list")
def list_clients(as_json: JsonOption = False) -> None:
    """List clients: id, kind and name (secrets are never stored, so never shown)."""

    async def work(session: AsyncSession) -> list[ApiClient]:
        return list(await session.scalars(select(ApiClient).order_by(ApiClient.created_at)))

    clients = runtime.run(work)
    if as_json:
        rows = [
            {
                "client_id": client.client_id,
                "name": client.name,
                "kind": client.kind,
                "marketplace": client.marketplace,
                "created_at": client.created_at.isoformat(),
            }
            for client in clients
        ]
        typer.echo(json.dumps(rows))
        return
    if not clients:
        typer.echo("no clients yet: aftercart clients create --name NAME", err=True)
    for client in clients:
        kind = f"{client.kind}:{client.marketplace}" if client.marketplace else client.kind
        typer.echo(f"{client.client_id}  {kind:<12}  {client.name}")
