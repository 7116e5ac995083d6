"""``aftercart feedback``: exporting the ratings store."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.marketplaces import Marketplace
from aftercart.db.tenancy import serve_tenant
from aftercart.feedback import rules
from aftercart.feedback.export import ExportFormat, export_ratings
from aftercart.feedback.schemas import RatingFilters

app = typer.Typer(help="Ratings and marketplace feedback.", no_args_is_help=True)


class RatingSource(StrEnum):
    """Where ratings come from: Connect's post-checkout API, or a marketplace's push."""

    CONNECT = rules.SOURCE_CONNECT
    YANDEX_EATS = Marketplace.YANDEX_EATS.value


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl.")],
    source: Annotated[RatingSource | None, typer.Option(help="Only ratings from here.")] = None,
    store: Annotated[str | None, typer.Option(help="A store's location_code.")] = None,
    shopper_id: Annotated[int | None, typer.Option("--shopper-id", help="A shopper's id.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601, inclusive; UTC if no zone.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601, exclusive; UTC if no zone.")] = None,
    min_rating: Annotated[
        int | None, typer.Option("--min-rating", min=1, max=5, help="1 to 5, inclusive.")
    ] = None,
    max_rating: Annotated[
        int | None, typer.Option("--max-rating", min=1, max=5, help="1 to 5, inclusive.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    tenant: Annotated[
        int | None,
        typer.Option("--tenant", help="Only this tenant's ratings (else every tenant's)."),
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write every matching rating, newest first, with the fields GET /v2/feedback/ratings
    gives (in CSV, lists and objects are JSON); every tenant's unless ``--tenant``."""
    try:
        filters = RatingFilters(
            source=source.value if source else None,
            store=store,
            shopper_id=shopper_id,
            since=since,
            until=until,
            min_rating=min_rating,
            max_rating=max_rating,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems) from exc

    async def work(session: AsyncSession) -> int:
        """The file is opened only once the database is reached: a failure leaves none."""
        if tenant is not None:
            serve_tenant(session, tenant)
        if output is None:
            return await export_ratings(session, filters=filters, fmt=fmt, out=sys.stdout)
        with output.open("w", encoding="utf-8", newline="") as out:
            return await export_ratings(session, filters=filters, fmt=fmt, out=out)

    written = runtime.run(work, database_url)
    typer.echo(f"{written} rating(s) exported", err=True)
