"""docs/connect.md stays true: every endpoint it calls implemented is served, every one it calls
not yet is not, and every ``/v2`` endpoint and every event name the app has is in it."""

import re
from pathlib import Path

from fastapi import FastAPI

from aftercart.events import names

COVERAGE = Path(__file__).resolve().parents[1] / "docs" / "connect.md"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _rows(cell: int = 0) -> list[tuple[list[str], str]]:
    """Each table row's backticked segments of one cell, with its status cell."""
    rows = []
    status_at: int | None = None
    for line in COVERAGE.read_text().splitlines():
        if not line.startswith("|"):
            status_at = None
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if "status" in cells:
            status_at = cells.index("status")
        elif status_at is not None and not set(cells[0]) <= {"-", " "}:
            rows.append((re.findall(r"`([^`]+)`", cells[cell]), cells[status_at]))
    return rows


def _operations(segments: list[str]) -> set[tuple[str, str]]:
    """``GET`` · ``POST /v2/x`` → {(GET, /v2/x), (POST, /v2/x)}; nothing for a row of fields."""
    methods, operations = [], set()
    for segment in segments:
        words = segment.split()
        methods += [word for word in words if word in METHODS]
        path = next((word for word in words if word.startswith("/")), None)
        if path is not None:
            operations |= {(method, path) for method in methods}
            methods = []
    return operations


def _documented(status: str) -> set[tuple[str, str]]:
    return {
        operation
        for segments, row_status in _rows()
        if row_status.startswith(status)
        for operation in _operations(segments)
    }


def _served(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v2/")
        for method in operations
    }


def test_every_implemented_endpoint_is_served_and_no_other(app: FastAPI) -> None:
    served = _served(app)
    assert _documented("implemented") - served == set()
    assert _documented("not yet") & served == set()


def test_every_endpoint_served_is_in_the_table(app: FastAPI) -> None:
    listed = _documented("implemented") | _documented("Aftercart addition")
    assert _served(app) - listed == set()


def test_every_event_name_is_in_the_table() -> None:
    listed = {
        segment
        for cell in (0, 1)
        for segments, status in _rows(cell)
        if status.startswith(("implemented", "Aftercart addition"))
        for segment in segments
    }
    assert set(names.ALL) - listed == set()
