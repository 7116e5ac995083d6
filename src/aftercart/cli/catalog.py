"""``aftercart catalog``: product imports. ``import_csv`` also serves ``aftercart stores``."""

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.catalog.csvfile import CsvSource
from aftercart.catalog.importer import Importer, ImportReport, import_products
from aftercart.catalog.rules import PRODUCT_COLUMNS
from aftercart.cli import runtime
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.runtime import JsonOption

app = typer.Typer(help="The product catalog.", no_args_is_help=True)

#: Files from this size on (about 25,000 products) show a progress bar.
PROGRESS_FROM_BYTES = 1_000_000

FileArgument = Annotated[Path, typer.Argument(metavar="FILE.csv", help="A UTF-8 CSV file.")]


@contextmanager
def _progress(source: CsvSource, console: Console) -> Iterator[Callable[[], None] | None]:
    if source.total_bytes < PROGRESS_FROM_BYTES:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"importing {source.path.name}", total=source.total_bytes)
        yield lambda: progress.update(task, completed=source.bytes_read)


def _report_json(report: ImportReport) -> str:
    return json.dumps(
        {
            "imported": report.imported,
            "created": report.created,
            "updated": report.updated,
            "skipped": report.skipped,
            "problems": [{"line": p.line, "message": p.message} for p in report.problems],
        }
    )


def import_csv(
    path: Path,
    columns: Sequence[str],
    importer: Importer,
    *,
    as_json: bool,
    database_url: str | None,
) -> None:
    """Imports ``path`` in one transaction. Bad rows are listed on stderr with their line numbers
    and skipped; an unreadable file or a missing column fails (exit 1) and imports nothing."""
    console = Console(stderr=True)

    async def work(session: AsyncSession) -> ImportReport:
        with CsvSource(path, columns) as source, _progress(source, console) as on_chunk:
            if source.extra_columns and not as_json:
                typer.echo(f"ignoring column(s): {', '.join(source.extra_columns)}", err=True)
            return await importer(session, records=source.records(), on_chunk=on_chunk)

    report = runtime.run(work, database_url)
    if as_json:
        typer.echo(_report_json(report))
        return
    for problem in report.problems:
        typer.echo(f"line {problem.line}: {problem.message}", err=True)
    typer.echo(
        f"imported {report.imported}, skipped {report.skipped} "
        f"({report.created} new, {report.updated} updated)"
    )


@app.command("import")
def import_file(
    file: FileArgument, as_json: JsonOption = False, database_url: DatabaseUrlOption = None
) -> None:
    """Import products from columns upc,rrc,name,size,unit_price (upserted by UPC, else RRC)."""
    import_csv(file, PRODUCT_COLUMNS, import_products, as_json=as_json, database_url=database_url)
