"""Writing every matching rating as CSV or JSON Lines, a page at a time."""

import csv
import json
from enum import StrEnum
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.feedback.queries import every_rating
from aftercart.feedback.schemas import RatingFilters, StoredRating

COLUMNS = tuple(StoredRating.model_fields)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def _cell(value: Any) -> Any:
    """CSV cells: lists and objects as JSON, missing values empty."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return value


async def export_ratings(
    session: AsyncSession, *, filters: RatingFilters, fmt: ExportFormat, out: TextIO
) -> int:
    """Writes the ratings newest first, the same rows and values as ``GET /v2/feedback/ratings``
    gives; returns how many were written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt is ExportFormat.CSV else None
    if writer is not None:
        writer.writeheader()
    written = 0
    async for rating in every_rating(session, filters=filters):
        row = rating.model_dump(mode="json")
        if writer is not None:
            writer.writerow({key: _cell(value) for key, value in row.items()})
        else:
            out.write(json.dumps(row) + "\n")
        written += 1
    return written
