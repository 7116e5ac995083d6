"""Wire models of the feedback endpoints."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftercart.db.ids import RowId
from aftercart.feedback.rules import Highlight, RatingValue


class RatingIn(BaseModel):
    """Instacart's order feedback pages: the body of a create-or-update."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "rating_value": "STARS5",
                    "highlights": ["QUALITY_ITEMS", "SMOOTH_DELIVERY"],
                    "thank_you_note": "Thanks, Sam!",
                }
            ]
        },
    )

    rating_value: RatingValue
    highlights: list[Highlight] | None = None
    thank_you_note: str | None = Field(default=None, max_length=1000)


class RatingOut(BaseModel):
    """A Connect rating read back in the shape it was written."""

    rating_value: str | None
    highlights: list[str]
    thank_you_note: str | None
    created_at: datetime
    updated_at: datetime


class Success(BaseModel):
    success: bool = True


class RatingFilters(BaseModel):
    """Filters shared by the list, the summary and the export.

    ``since`` is inclusive and ``until`` exclusive, both on the time the rating was first stored
    (``created_at``); a time without a zone is read as UTC.
    """

    model_config = ConfigDict(extra="ignore")

    source: str | None = None
    store: str | None = None
    shopper_id: RowId | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_rating: int | None = Field(default=None, ge=1, le=5)
    max_rating: int | None = Field(default=None, ge=1, le=5)

    @field_validator("since", "until")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class ListParams(RatingFilters):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None


class StoredRating(BaseModel):
    """One row of the ratings store, whatever its source."""

    id: int
    source: str
    channel: str | None
    order_id: str | None
    user_id: str | None
    store: str | None
    shopper_id: int | None
    rating: int
    rating_value: str | None
    highlights: list[str]
    thank_you_note: str | None
    comment: str | None
    predefined_comment: str | None
    external_id: str | None
    external_order_id: str | None
    restaurant_id: str | None
    order_total: Decimal | None
    order_info: dict[str, Any] | None
    details: dict[str, Any] | None
    rated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RatingPage(BaseModel):
    ratings: list[StoredRating]
    next_cursor: str | None


class Figures(BaseModel):
    """Count, average (4 decimals, ``null`` when empty), ratings 1 to 5 and every highlight."""

    count: int
    average: float | None
    distribution: dict[str, int]
    highlights: dict[str, int]


class _SourceKey(BaseModel):
    source: str


class _StoreKey(BaseModel):
    store: str | None


class _ShopperKey(BaseModel):
    shopper_id: int | None


# The group's key comes first in the JSON: pydantic orders fields from the last base up.
class SourceFigures(Figures, _SourceKey):
    pass


class StoreFigures(Figures, _StoreKey):
    pass


class ShopperFigures(Figures, _ShopperKey):
    pass


class Summary(Figures):
    by_source: list[SourceFigures]
    by_store: list[StoreFigures]
    by_shopper: list[ShopperFigures]
