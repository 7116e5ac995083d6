import re
from pathlib import Path

import pytest

from aftercart.catalog.csvfile import CsvFileError, CsvSource
from aftercart.catalog.rules import PRODUCT_COLUMNS, SHAPE_PROBLEM


def read(path: Path, text: str | bytes) -> list[tuple[int, dict[str, str | None]]]:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with CsvSource(path, PRODUCT_COLUMNS) as source:
        return [(line, dict(record)) for line, record in source.records()]


def test_records_carry_the_file_line_they_start_on(tmp_path: Path) -> None:
    text = (
        "upc,rrc,name,size,unit_price\n"
        ",A1,Plain,1 ct,1.00\n"
        "\n"
        ',A2,"Two\nline name",1 ct,2.00\n'
        ",A3,After,1 ct,3.00\n"
    )
    rows = read(tmp_path / "p.csv", text)
    assert [(line, record["rrc"]) for line, record in rows] == [(2, "A1"), (4, "A2"), (6, "A3")]
    assert rows[1][1]["name"] == "Two\nline name"


def test_header_is_matched_loosely_and_extra_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(
        "\ufeffName, UPC ,RRC,Size,Unit_Price,aisle\nMilk,,A1,1 gal,4.29,dairy\n".encode()
    )
    with CsvSource(path, PRODUCT_COLUMNS) as source:
        rows = list(source.records())
        assert source.extra_columns == ["aisle"]
    assert rows[0][1]["name"] == "Milk"
    assert rows[0][1]["rrc"] == "A1"


def test_record_with_wrong_field_count_is_marked(tmp_path: Path) -> None:
    rows = read(tmp_path / "p.csv", "upc,rrc,name,size,unit_price\n,A1,Milk\n")
    assert rows[0][1][SHAPE_PROBLEM] == "has 3 fields, the header has 5"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty; expected the header upc,rrc,name,size,unit_price"),
        (b"upc,name\n", "missing column(s) rrc, size, unit_price"),
        (b"upc,rrc,name,size,unit_price\n,A1,Caf\xe9,,\n", "is not UTF-8 text"),
    ],
)
def test_unusable_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(CsvFileError, match=re.escape(message)):
        read(tmp_path / "p.csv", content)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CsvFileError, match="cannot read"), CsvSource(tmp_path / "no.csv", ["a"]):
        pass
