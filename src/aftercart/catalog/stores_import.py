"""Bulk import of stores, upserted by ``location_code``."""

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.catalog.csvfile import Numbered
from aftercart.catalog.importer import ImportReport, Row, run_import
from aftercart.catalog.rules import STORE_COLUMNS, store_values
from aftercart.db.dialect import insert_for
from aftercart.db.types import utcnow
from aftercart.models import Store

_UPDATED = [column for column in STORE_COLUMNS if column != "location_code"] + ["updated_at"]


async def import_stores(
    session: AsyncSession,
    *,
    records: Iterable[Numbered],
    on_chunk: Callable[[], None] | None = None,
) -> ImportReport:
    async def write(chunk: list[Row], report: ImportReport) -> None:
        codes = [values["location_code"] for _, values in chunk]
        stored = set(
            await session.scalars(select(Store.location_code).where(Store.location_code.in_(codes)))
        )
        report.updated += len(stored)
        report.created += len(chunk) - len(stored)
        now = utcnow()
        insert = insert_for(session, Store.__table__)
        statement = insert.on_conflict_do_update(
            index_elements=["location_code"],
            set_={column: insert.excluded[column] for column in _UPDATED},
        )
        await session.execute(
            statement, [{**values, "created_at": now, "updated_at": now} for _, values in chunk]
        )

    report = await run_import(
        records, parse=store_values, keys=("location_code",), write=write, on_chunk=on_chunk
    )
    await session.flush()
    return report
