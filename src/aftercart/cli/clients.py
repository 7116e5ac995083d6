"""``aftercart clients``: API clients (OAuth applications) of retailers."""

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import IssuedCredentials
from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.failures import Failure
from aftercart.cli.runtime import JsonOption
from aftercart.models import ApiClient
from aftercart.web import brand
from aftercart.web.branding import BrandChange, set_brand

app = typer.Typer(
    help="API clients: create them, list them, brand their order pages.", no_args_is_help=True
)


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="Who the client is for.")],
    tenant: runtime.TenantOption = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Register a Connect client and print its id, secret and tenant. The secret is shown only
    now. A client sees only its tenant's data."""

    async def work(session: AsyncSession) -> IssuedCredentials:
        return await runtime.create_in_tenant(session, tenant, name=name)

    runtime.show_credentials(runtime.run(work, database_url), as_json=as_json)


@app.command("list")
def list_clients(as_json: JsonOption = False, database_url: DatabaseUrlOption = None) -> None:
    """List clients: id, tenant, kind and name (secrets are never stored, so never shown)."""

    async def work(session: AsyncSession) -> list[ApiClient]:
        return list(await session.scalars(select(ApiClient).order_by(ApiClient.created_at)))

    clients = runtime.run(work, database_url)
    if as_json:
        rows = [
            {
                "client_id": client.client_id,
                "tenant_id": client.tenant_id,
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
        typer.echo(f"{client.client_id}  tenant {client.tenant_id:<4}  {kind:<12}  {client.name}")


@app.command("brand")
def brand_client(
    client_id: Annotated[str, typer.Argument(help="The Connect client whose orders to brand.")],
    name: Annotated[
        str | None, typer.Option("--name", help="The retailer's name, shown in the header.")
    ] = None,
    colour: Annotated[
        str | None,
        typer.Option(
            "--colour",
            "--color",
            help="The header's colour, any opaque CSS colour (#0b6b3a, teal); the text on it "
            "is white or black, whichever reads better.",
        ),
    ] = None,
    logo: Annotated[
        Path | None,
        typer.Option(
            "--logo",
            exists=True,
            dir_okay=False,
            help=f"A PNG, JPEG, WebP or GIF of at most {brand.MAX_LOGO_BYTES // 1024} KiB.",
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the branding (before applying the rest).")
    ] = False,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Brand the order status pages of a client's orders: name, colour and logo."""
    if not clear and name is None and colour is None and logo is None:
        raise typer.BadParameter("give --name, --colour, --logo or --clear")
    change = BrandChange(name, colour, logo.read_bytes() if logo else None, clear)

    async def work(session: AsyncSession) -> dict[str, str | None]:
        try:
            client = await set_brand(session, client_id=client_id, change=change)
        except brand.BrandError as exc:
            raise Failure(str(exc)) from exc
        return {
            "client_id": client.client_id,
            "brand_name": client.brand_name,
            "brand_colour": client.brand_colour,
            "brand_logo_type": client.brand_logo_type,
        }

    shown = runtime.run(work, database_url)
    if as_json:
        typer.echo(json.dumps(shown))
        return
    for key, value in shown.items():
        typer.echo(f"{key}: {value if value is not None else '-'}")
