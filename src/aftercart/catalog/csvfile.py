"""Reading import files: header check, records with their file line numbers, read position."""

import _csv
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from aftercart.catalog.rules import SHAPE_PROBLEM, Record

#: A record and the file line it starts on (the header is line 1).
Numbered = tuple[int, Record]


class CsvFileError(Exception):
    """The file cannot be imported at all: unreadable, not UTF-8, or without the needed columns."""


class CsvSource:
    """An import file opened for reading; use as a context manager, then iterate ``records()``.

    Column names are matched after trimming spaces and lower-casing, in any order; extra columns
    are ignored (``extra_columns`` names them). A record with more or fewer fields than the header
    gets a ``SHAPE_PROBLEM`` entry, which the row rules report as a problem of that line.
    """

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.extra_columns: list[str] = []
        self.total_bytes = 0
        self._binary: IO[bytes] | None = None
        self._text: io.TextIOWrapper | None = None
        self._reader: _csv.Reader | None = None

    def __enter__(self) -> Self:
        try:
            self._binary = self.path.open("rb")
            self.total_bytes = self.path.stat().st_size
        except OSError as exc:
            raise CsvFileError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._text)
        self._read_header()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._text is not None:
            self._text.close()

    @property
    def bytes_read(self) -> int:
        """How far the file has been read (ahead of the parser by at most one buffer)."""
        return self._binary.tell() if self._binary is not None and not self._binary.closed else 0

    def _next_row(self) -> list[str] | None:
        assert self._reader is not None
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError as exc:
            raise CsvFileError(f"{self.path} is not UTF-8 text: {exc.reason}") from exc
        except csv.Error as exc:
            raise CsvFileError(f"{self.path} is not valid CSV: {exc}") from exc

    def _read_header(self) -> None:
        header = self._next_row()
        if header is None:
            expected = ",".join(self.columns)
            raise CsvFileError(f"{self.path} is empty; expected the header {expected}")
        self._names = [name.strip().lower() for name in header]
        missing = [column for column in self.columns if column not in self._names]
        if missing:
            raise CsvFileError(
                f"{self.path}: missing column(s) {', '.join(missing)}; "
                f"expected the header {','.join(self.columns)}"
            )
        self.extra_columns = [name for name in self._names if name not in self.columns]

    def records(self) -> Iterator[Numbered]:
        """Every non-blank record after the header, with the line it starts on."""
        assert self._reader is not None
        reader = self._reader
        line = 1 + reader.line_num
        width = len(self._names)
        while (row := self._next_row()) is not None:
            start, line = line, 1 + reader.line_num
            if not any(field.strip() for field in row):
                continue
            record: dict[str, str | None] = dict(zip(self._names, row, strict=False))
            if len(row) != width:
                record[SHAPE_PROBLEM] = f"has {len(row)} fields, the header has {width}"
            yield start, record
