"""Bulk import of catalog rows: validated one by one, written in chunks as dialect upserts.

Import functions take a session and flush; the caller commits, so a failed import leaves nothing.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.catalog.csvfile import Numbered
from aftercart.catalog.rules import Record, RowInvalid, product_values
from aftercart.db.dialect import insert_for
from aftercart.db.types import utcnow
from aftercart.models import Product

#: Rows per statement: about 8,000 bound parameters, under both SQLite's and asyncpg's limits.
CHUNK_ROWS = 1000

Row = tuple[int, dict[str, Any]]


class Importer(Protocol):
    """The shape of :func:`import_products` and ``import_stores``."""

    def __call__(
        self,
        session: AsyncSession,
        *,
        records: Iterable[Numbered],
        on_chunk: Callable[[], None] | None = None,
    ) -> Awaitable["ImportReport"]: ...


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def skip(self, line: int, message: str) -> None:
        self.problems.append(RowProblem(line, message))


async def run_import(
    records: Iterable[Numbered],
    *,
    parse: Callable[[Record], dict[str, Any]],
    keys: tuple[str, ...],
    write: Callable[[list[Row], ImportReport], Awaitable[None]],
    on_chunk: Callable[[], None] | None = None,
) -> ImportReport:
    """Validates each record, skips repeats of a key seen earlier in the same file, and hands the
    good rows to ``write`` in chunks of :data:`CHUNK_ROWS`."""
    report = ImportReport()
    first_seen: dict[tuple[str, Any], int] = {}
    chunk: list[Row] = []
    for line, record in records:
        try:
            values = parse(record)
        except RowInvalid as exc:
            report.skip(line, str(exc))
            continue
        identifiers = [(key, values[key]) for key in keys if values[key] is not None]
        repeated = next((i for i in identifiers if i in first_seen), None)
        if repeated is not None:
            key, value = repeated
            report.skip(line, f"{key} {value} already appears on line {first_seen[repeated]}")
            continue
        first_seen.update((identifier, line) for identifier in identifiers)
        chunk.append((line, values))
        if len(chunk) >= CHUNK_ROWS:
            await write(chunk, report)
            chunk = []
            if on_chunk is not None:
                on_chunk()
    if chunk:
        await write(chunk, report)
    if on_chunk is not None:
        on_chunk()
    return report


async def import_products(
    session: AsyncSession,
    *,
    records: Iterable[Numbered],
    on_chunk: Callable[[], None] | None = None,
) -> ImportReport:
    """Upserts products by UPC, else by RRC. An empty identifier never clears a stored one."""

    async def write(chunk: list[Row], report: ImportReport) -> None:
        await _write_products(session, chunk, report)

    report = await run_import(
        records, parse=product_values, keys=("upc", "rrc"), write=write, on_chunk=on_chunk
    )
    await session.flush()
    return report


async def _write_products(session: AsyncSession, chunk: list[Row], report: ImportReport) -> None:
    """Sorts a chunk into upserts keyed by UPC and by RRC, skipping rows whose two identifiers
    point at two different stored products."""
    upcs = [values["upc"] for _, values in chunk if values["upc"]]
    rrcs = [values["rrc"] for _, values in chunk if values["rrc"]]
    # The codes are rendered as literals: a prepared statement reused chunk after chunk gets a
    # generic plan on PostgreSQL, which compares every stored row with every parameter.
    stored = await session.execute(
        select(Product.upc, Product.rrc).where(
            or_(
                Product.upc.in_(bindparam("upcs", upcs, expanding=True, literal_execute=True)),
                Product.rrc.in_(bindparam("rrcs", rrcs, expanding=True, literal_execute=True)),
            )
        )
    )
    stored_upcs: set[str] = set()
    upc_of_rrc: dict[str, str | None] = {}
    for upc, rrc in stored:
        if upc is not None:
            stored_upcs.add(upc)
        if rrc is not None:
            upc_of_rrc[rrc] = upc

    now = utcnow()
    by_upc: list[dict[str, Any]] = []
    by_rrc: list[dict[str, Any]] = []
    for line, values in chunk:
        upc, rrc = values["upc"], values["rrc"]
        if upc and rrc in upc_of_rrc:
            owner = upc_of_rrc[rrc]
            if owner not in (None, upc):
                report.skip(line, f"rrc {rrc} belongs to another product (upc {owner})")
                continue
            if owner is None and upc in stored_upcs:
                report.skip(line, f"upc {upc} and rrc {rrc} belong to two different products")
                continue
        if upc in stored_upcs or rrc in upc_of_rrc:
            report.updated += 1
        else:
            report.created += 1
        row = {**values, "created_at": now, "updated_at": now}
        # A UPC-less stored product that gains a UPC is found by its RRC.
        keyed_by_upc = upc is not None and (upc in stored_upcs or rrc not in upc_of_rrc)
        (by_upc if keyed_by_upc else by_rrc).append(row)

    for key, rows in (("upc", by_upc), ("rrc", by_rrc)):
        if rows:
            await _upsert_products(session, key, rows)


async def _upsert_products(session: AsyncSession, key: str, rows: list[dict[str, Any]]) -> None:
    table = Product.__table__
    other = "rrc" if key == "upc" else "upc"
    insert = insert_for(session, table)
    excluded = insert.excluded
    statement = insert.on_conflict_do_update(
        index_elements=[key],
        set_={
            other: func.coalesce(excluded[other], table.c[other]),
            "name": excluded.name,
            "size": excluded.size,
            "unit_price": excluded.unit_price,
            "sold_by_weight": excluded.sold_by_weight,
            "updated_at": excluded.updated_at,
        },
    )
    await session.execute(statement, rows)
