import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.cli import catalog as catalog_cli
from aftercart.models import Product, Store
from tests.cli.helpers import cli, said, write_csv
from tests.factories import upc

Sessions = async_sessionmaker[AsyncSession]
HEADER = "upc,rrc,name,size,unit_price"
STORE_HEADER = (
    "location_code,name,address_line_1,city,state,postal_code,latitude,longitude,pickup,delivery"
)


async def products(sessions: Sessions) -> list[tuple[str | None, str | None, str, Decimal | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Product.upc, Product.rrc, Product.name, Product.unit_price).order_by(
                Product.name
            )
        )
        return [(r.upc, r.rrc, r.name, r.unit_price) for r in rows]


async def test_catalog_import_reports_bad_lines_and_upserts(
    db_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "catalog.csv",
        HEADER,
        f"{upc(1)},,Whole Milk,1 gal,4.29",
        "036000291453,,Bad Check Digit,1 ct,1.00",
        ",PLU-4011,Bananas,per lb,0.59",
        ",,No Identifier,1 ct,1.00",
    )
    result = await cli(db_url, "catalog", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 2, skipped 2 (2 new, 0 updated)\n"
    assert said(result) == [
        "line 3: upc 036000291453 is not a valid UPC-A (12 digits, correct check digit)",
        "line 5: upc and rrc are both empty",
    ]
    assert await products(sessions) == [
        (None, "PLU-4011", "Bananas", Decimal("0.59")),
        (upc(1), None, "Whole Milk", Decimal("4.29")),
    ]

    write_csv(tmp_path, "catalog.csv", HEADER, f"{upc(1)},SKU-1,Whole Milk,1 gal,4.49")
    again = await cli(db_url, "catalog", "import", str(path))
    assert again.stdout == "imported 1, skipped 0 (0 new, 1 updated)\n"
    assert (await products(sessions))[1] == (upc(1), "SKU-1", "Whole Milk", Decimal("4.49"))


async def test_catalog_import_json_report(db_url: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "c.csv", HEADER + ",aisle", ",A1,Oats,42 oz,5.49,pantry", ",,,1 ct,,"
    )
    result = await cli(db_url, "catalog", "import", str(path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "imported": 1,
        "created": 1,
        "updated": 0,
        "skipped": 1,
        "problems": [{"line": 3, "message": "upc and rrc are both empty; name is empty"}],
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("upc,name,price\n1,2,3\n", "missing column(s) rrc, size, unit_price"),
        ("", "is empty; expected the header upc,rrc,name,size,unit_price"),
    ],
)
async def test_catalog_import_refuses_wrong_headers(
    db_url: str, sessions: Sessions, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(content)
    result = await cli(db_url, "catalog", "import", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert await products(sessions) == []


async def test_catalog_import_of_a_missing_file_fails(db_url: str, tmp_path: Path) -> None:
    result = await cli(db_url, "catalog", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert "cannot read" in result.stderr


async def test_an_unreadable_row_late_in_the_file_imports_nothing(
    db_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(f"{HEADER}\n,A1,Oats,,\n,A2,Caf\xe9,,\n".encode("latin-1"))
    result = await cli(db_url, "catalog", "import", str(path))
    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.stderr
    assert await products(sessions) == []


async def test_progress_bar_path_imports_everything(
    db_url: str, sessions: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_cli, "PROGRESS_FROM_BYTES", 0)
    lines = [f"{upc(500 + n)},,Item {n},16 oz,1.00" for n in range(1200)]
    path = write_csv(tmp_path, "big.csv", HEADER, *lines)
    result = await cli(db_url, "catalog", "import", str(path))
    assert result.exit_code == 0
    assert result.stdout == "imported 1200, skipped 0 (1200 new, 0 updated)\n"
    assert len(await products(sessions)) == 1200


async def test_stores_import(db_url: str, sessions: Sessions, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "stores.csv",
        STORE_HEADER,
        "bk-1,Brooklyn Heights,140 Montague St,Brooklyn,NY,11201,40.6946,-73.9937,true,no",
        "bk-2,Williamsburg,250 Bedford Ave,Brooklyn,NY,11249,40.7163,-73.9612,maybe,yes",
    )
    result = await cli(db_url, "stores", "import", str(path))
    assert result.exit_code == 0
    assert result.stdout == "imported 1, skipped 1 (1 new, 0 updated)\n"
    assert said(result) == ["line 3: pickup 'maybe' is not a boolean (true/false, 1/0, yes/no)"]

    write_csv(
        tmp_path,
        "stores.csv",
        STORE_HEADER,
        "bk-1,Brooklyn Heights Market,140 Montague St,Brooklyn,NY,11201,40.6946,-73.9937,1,1",
    )
    again = await cli(db_url, "stores", "import", str(path))
    assert again.stdout == "imported 1, skipped 0 (0 new, 1 updated)\n"
    async with sessions() as session:
        store = await session.get(Store, "bk-1")
    assert store is not None
    assert (store.name, store.pickup, store.delivery) == ("Brooklyn Heights Market", True, True)
