"""Times ``aftercart catalog import`` on a generated catalog (100,000 rows by default).

    .venv/bin/python -m bench.import_catalog [--rows N] [--database-url URL]

Without ``--database-url`` it uses a fresh SQLite file in a temporary directory. It imports the
file twice, first into an empty table (inserts), then again (every row an update), and prints one
line with both timings.
"""

import argparse
import asyncio
import csv
import tempfile
import time
from pathlib import Path

from stdnum import ean

from aftercart.catalog.csvfile import CsvSource
from aftercart.catalog.importer import ImportReport, import_products
from aftercart.catalog.rules import PRODUCT_COLUMNS
from aftercart.cli.runtime import cli_session
from aftercart.config import Settings
from aftercart.db.engine import create_engine
from aftercart.db.migrate import upgrade


def write_catalog(path: Path, rows: int) -> None:
    """Packaged goods with UPCs; every tenth row a PLU-only item sold per lb."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(PRODUCT_COLUMNS)
        for n in range(rows):
            if n % 10 == 9:
                writer.writerow(["", f"PLU-{n}", f"Loose produce {n}", "per lb", "1.99"])
            else:
                body = f"0{n:010d}"
                code = body + ean.calc_check_digit(body)
                writer.writerow(
                    [code, "", f"Grocery item {n}", "16 oz", f"{n % 900 / 100 + 1:.2f}"]
                )


async def timed_import(settings: Settings, path: Path) -> tuple[str, ImportReport]:
    """Wall-clock and this process's CPU time (SQLite's thread included): on a busy machine the
    CPU time is the steadier figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    async with cli_session(settings) as session:
        with CsvSource(path, PRODUCT_COLUMNS) as source:
            report = await import_products(session, records=source.records())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return f"{wall:.2f} s (CPU {cpu:.2f} s)", report


async def main(rows: int, database_url: str) -> str:
    settings = Settings(database_url=database_url)
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.csv"
        write_catalog(path, rows)
        first, inserted = await timed_import(settings, path)
        second, updated = await timed_import(settings, path)
    if inserted.created != rows or updated.updated != rows:
        raise RuntimeError(f"unexpected reports: {inserted}, {updated}")
    dialect = database_url.split(":", 1)[0]
    return (
        f"catalog import, {rows:,} rows on {dialect}: {first} into an empty table, "
        f"{second} re-imported as updates"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as db_folder:
        url = args.database_url or f"sqlite+aiosqlite:///{db_folder}/bench.db"
        print(asyncio.run(main(args.rows, url)))
