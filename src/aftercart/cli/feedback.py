"""``aftercart feedback``: exporting the ratings store."""

import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.cli import runtime
from aftercart.feedback.export import ExportFormat, export_ratings
from aftercart.feedback.schemas import RatingFilters

app = typer.Typer(help="Ratings and marketplace feedback.", no_args_is_help=True)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl.")],
    source: Annotated[str | None, typer.Option(help="connect, yandex_eats, ...")] = None,
    store: Annotated[str | None, typer.Option(help="A store's location_code.")] = None,
    shopper_id: Annotated[int | None, typer.Option("--shopper-id")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601, inclusive; UTC if no zone.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601, exclusive; UTC if no zone.")] = None,
    min_rating: Annotated[int | None, typer.Option("--min-rating", min=1, max=5)] = None,
    max_rating: Annotated[int | None, typer.Option("--max-rating", min=1, max=5)] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write every matching rating, newest first, with the fields GET /v2/feedback/ratings
    gives (in CSV, lists and objects are JSON)."""
    try:
        filters = RatingFilters(
            source=source,
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

    def write_to(out: TextIO) -> int:
        async def work(session: AsyncSession) -> int:
            return await export_ratings(session, filters=filters, fmt=fmt, out=out)

        return runtime.run(work)

    if output is None:
        written = write_to(sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as out:
            written = write_to(out)
    typer.echo(f"{written} rating(s) exported", err=True)
