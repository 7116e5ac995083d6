"""``aftercart marketplaces``: credentials for the marketplaces that push feedback to us."""

from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import IssuedCredentials
from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.runtime import JsonOption
from aftercart.marketplace.service import KIND

app = typer.Typer(help="Marketplaces (Yandex Eats) and their credentials.", no_args_is_help=True)


class Marketplace(StrEnum):
    YANDEX_EATS = "yandex_eats"


DISPLAY_NAMES = {Marketplace.YANDEX_EATS: "Yandex Eats"}


@app.command()
def create(
    marketplace: Annotated[Marketplace, typer.Argument(help="Which marketplace.")],
    name: Annotated[str | None, typer.Option("--name", help="A label for the client.")] = None,
    tenant: runtime.TenantOption = None,
    as_json: JsonOption = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Issue the client_id and client_secret the marketplace uses at POST /security/oauth/token.
    The secret is shown only now."""

    async def work(session: AsyncSession) -> IssuedCredentials:
        return await runtime.create_in_tenant(
            session,
            tenant,
            name=name or DISPLAY_NAMES[marketplace],
            kind=KIND,
            marketplace=marketplace.value,
        )

    advice = (
        "Give both to the marketplace with this server's domain name; it fetches tokens at "
        "POST /security/oauth/token and pushes feedback to POST /v1/feedback."
    )
    runtime.show_credentials(runtime.run(work, database_url), as_json=as_json, advice=advice)
