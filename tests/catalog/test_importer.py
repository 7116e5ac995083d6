from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.catalog import importer
from aftercart.catalog.importer import RowProblem, import_products
from aftercart.models import Product
from tests.catalog.helpers import numbered, product, run_import, stored_products
from tests.factories import upc

Sessions = async_sessionmaker[AsyncSession]


async def test_inserts_then_updates_by_upc_and_by_rrc(sessions: Sessions) -> None:
    first = await run_import(
        sessions,
        product(upc=upc(1), name="Milk", price="4.29"),
        product(rrc="PLU-4011", name="Bananas", size="per lb", price="0.59"),
    )
    assert (first.created, first.updated, first.problems) == (2, 0, [])

    again = await run_import(
        sessions,
        product(upc=upc(1), name="Whole Milk", price="4.49"),
        product(rrc="PLU-4011", name="Organic Bananas", size="per lb", price="0.79"),
    )
    assert (again.created, again.updated, again.imported, again.skipped) == (0, 2, 2, 0)
    assert await stored_products(sessions) == [
        (None, "PLU-4011", "Organic Bananas", Decimal("0.79")),
        (upc(1), None, "Whole Milk", Decimal("4.49")),
    ]
    async with sessions() as session:
        bananas = await session.scalar(select(Product).where(Product.rrc == "PLU-4011"))
    assert bananas is not None
    assert bananas.sold_by_weight is True


async def test_an_empty_identifier_keeps_the_stored_one(sessions: Sessions) -> None:
    await run_import(sessions, product(upc=upc(2), rrc="SKU-2", name="Bread"))
    await run_import(sessions, product(upc=upc(2), name="White Bread"))
    assert await stored_products(sessions) == [(upc(2), "SKU-2", "White Bread", Decimal("1.00"))]
    await run_import(sessions, product(rrc="SKU-2", name="Sandwich Bread"))
    assert await stored_products(sessions) == [(upc(2), "SKU-2", "Sandwich Bread", Decimal("1.00"))]


async def test_a_product_known_by_rrc_gains_its_upc(sessions: Sessions) -> None:
    await run_import(sessions, product(rrc="SKU-3", name="Eggs"))
    report = await run_import(sessions, product(upc=upc(3), rrc="SKU-3", name="Large Eggs"))
    assert (report.created, report.updated) == (0, 1)
    assert await stored_products(sessions) == [(upc(3), "SKU-3", "Large Eggs", Decimal("1.00"))]


async def test_identifiers_of_two_different_products_are_refused(sessions: Sessions) -> None:
    await run_import(
        sessions,
        product(upc=upc(4), rrc="SKU-4", name="Butter"),
        product(upc=upc(5), name="Cream"),
        product(rrc="SKU-6", name="Loose Oats"),
    )
    report = await run_import(
        sessions,
        product(upc=upc(7), rrc="SKU-4", name="Margarine"),
        product(upc=upc(5), rrc="SKU-6", name="Cream and Oats"),
        product(upc=upc(8), rrc="SKU-8", name="Cheese"),
    )
    assert report.problems == [
        RowProblem(2, f"rrc SKU-4 belongs to another product (upc {upc(4)})"),
        RowProblem(3, f"upc {upc(5)} and rrc SKU-6 belong to two different products"),
    ]
    assert (report.created, report.updated) == (1, 0)
    names = [name for _, _, name, _ in await stored_products(sessions)]
    assert names == ["Butter", "Cheese", "Cream", "Loose Oats"]


async def test_bad_and_repeated_rows_are_skipped_with_their_lines(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    chunks: list[int] = []
    records = numbered(
        product(upc=upc(10), name="One"),
        product(upc="036000291453", name="Bad check digit"),
        product(rrc="A", name="Two"),
        product(name="No identifier"),
        product(upc=upc(11), rrc="B", name="Three"),
        product(upc=upc(10), name="One again"),
        product(rrc="B", name="Three again"),
    )
    async with sessions() as session:
        report = await import_products(session, records=records, on_chunk=lambda: chunks.append(1))
        await session.commit()
    assert [(p.line, p.message.split(" (")[0]) for p in report.problems] == [
        (3, "upc 036000291453 is not a valid UPC-A"),
        (5, "upc and rrc are both empty"),
        (7, f"upc {upc(10)} already appears on line 2"),
        (8, "rrc B already appears on line 6"),
    ]
    assert (report.imported, report.skipped, len(chunks)) == (3, 4, 2)
    names = [name for _, _, name, _ in await stored_products(sessions)]
    assert names == ["One", "Three", "Two"]


async def test_large_import_in_chunks(sessions: Sessions) -> None:
    rows = [product(upc=upc(100 + n), name=f"Item {n}") for n in range(2 * importer.CHUNK_ROWS + 5)]
    rows += [product(rrc=f"PLU-{n}", name=f"Loose {n}", size="per lb") for n in range(50)]
    first = await run_import(sessions, *rows)
    again = await run_import(sessions, *rows)
    assert (first.created, again.updated, again.created) == (len(rows), len(rows), 0)
    async with sessions() as session:
        count = len(list(await session.scalars(select(Product.id))))
        by_weight = len(
            list(await session.scalars(select(Product.id).where(Product.sold_by_weight)))
        )
    assert (count, by_weight) == (len(rows), 50)


async def test_codes_with_quotes_and_backslashes_match_their_product(sessions: Sessions) -> None:
    code = "SKU-O'Brien\\1\"; --"
    await run_import(sessions, product(rrc=code, name="Soda Bread"))
    report = await run_import(sessions, product(upc=upc(9), rrc=code, name="Irish Soda Bread"))
    assert (report.created, report.updated) == (0, 1)
    assert await stored_products(sessions) == [(upc(9), code, "Irish Soda Bread", Decimal("1.00"))]
