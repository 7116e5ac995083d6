"""What the retailer reads: the ratings list (newest first, cursor-paginated) and the summary.

The summary is aggregated by the database (``GROUP BY``), never by loading the rows.
"""

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.dialect import is_postgres
from aftercart.errors import InvalidParameter
from aftercart.feedback import rules
from aftercart.feedback.schemas import (
    ListParams,
    RatingFilters,
    RatingPage,
    ShopperFigures,
    SourceFigures,
    StoredRating,
    StoreFigures,
    Summary,
)
from aftercart.feedback.service import stored
from aftercart.models import Rating

EXPORT_PAGE_SIZE = 200


def _conditions(filters: RatingFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.source is not None:
        conditions.append(Rating.source == filters.source)
    if filters.store is not None:
        conditions.append(Rating.location_code == filters.store)
    if filters.shopper_id is not None:
        conditions.append(Rating.shopper_id == filters.shopper_id)
    if filters.since is not None:
        conditions.append(Rating.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(Rating.created_at < filters.until)
    if filters.min_rating is not None:
        conditions.append(Rating.rating >= filters.min_rating)
    if filters.max_rating is not None:
        conditions.append(Rating.rating <= filters.max_rating)
    return conditions


async def list_ratings(session: AsyncSession, *, params: ListParams) -> RatingPage:
    """A page newest first. The cursor is the last row's ``(created_at, id)``: rows stored later
    sort before it, so inserts never shift a page that is being walked."""
    statement = select(Rating).where(*_conditions(params))
    if params.cursor is not None:
        try:
            created_at, rating_id = rules.decode_cursor(params.cursor)
        except ValueError as exc:
            raise InvalidParameter(str(exc), key="cursor") from exc
        statement = statement.where(
            or_(
                Rating.created_at < created_at,
                and_(Rating.created_at == created_at, Rating.id < rating_id),
            )
        )
    statement = statement.order_by(Rating.created_at.desc(), Rating.id.desc())
    rows = (await session.scalars(statement.limit(params.limit + 1))).all()
    page = rows[: params.limit]
    next_cursor = None
    if len(rows) > params.limit:
        next_cursor = rules.encode_cursor(page[-1].created_at, page[-1].id)
    return RatingPage(ratings=[stored(r) for r in page], next_cursor=next_cursor)


async def every_rating(
    session: AsyncSession, *, filters: RatingFilters
) -> AsyncIterator[StoredRating]:
    """Every matching rating, newest first, fetched a page at a time."""
    cursor: str | None = None
    while True:
        params = ListParams(**filters.model_dump(), limit=EXPORT_PAGE_SIZE, cursor=cursor)
        page = await list_ratings(session, params=params)
        for rating in page.ratings:
            yield rating
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _has(highlight: rules.Highlight) -> ColumnElement[bool]:
    """Whether the stored JSON array names ``highlight``. A highlight never repeats within a
    rating and no value's quoted form is inside another's, so a text match counts exactly and
    needs no JSON functions (which differ between SQLite and PostgreSQL)."""
    return cast(Rating.highlights, String).like(f'%"{highlight.value}"%')


_FIGURES: list[ColumnElement[Any]] = [
    func.count(Rating.id).label("count"),
    func.coalesce(func.sum(Rating.rating), 0).label("total"),
    *(func.sum(case((Rating.rating == n, 1), else_=0)).label(f"r{n}") for n in rules.RATINGS),
    *(func.sum(case((_has(h), 1), else_=0)).label(h.value) for h in rules.Highlight),
]


def _figures(row: Any) -> dict[str, Any]:
    count = int(row.count)
    return {
        "count": count,
        "average": round(int(row.total) / count, 4) if count else None,
        "distribution": {str(n): int(getattr(row, f"r{n}") or 0) for n in rules.RATINGS},
        "highlights": {h.value: int(getattr(row, h.value) or 0) for h in rules.Highlight},
    }


async def _grouped(
    session: AsyncSession, conditions: Sequence[ColumnElement[bool]], key: Any
) -> list[tuple[Any, dict[str, Any]]]:
    statement = (
        select(key.label("key"), *_FIGURES)
        .where(*conditions)
        .group_by(key)
        .order_by(key.asc().nulls_last())
    )
    return [(row.key, _figures(row)) for row in (await session.execute(statement)).all()]


async def summarize(session: AsyncSession, *, filters: RatingFilters) -> Summary:
    """Totals and the same figures per source, per store and per shopper (``null`` groups are
    the ratings without a store or shopper, so each breakdown adds up to the total)."""
    conditions = _conditions(filters)
    total = (await session.execute(select(*_FIGURES).where(*conditions))).one()
    return Summary(
        **_figures(total),
        by_source=[
            SourceFigures(source=key, **figures)
            for key, figures in await _grouped(session, conditions, Rating.source)
        ],
        by_store=[
            StoreFigures(store=key, **figures)
            for key, figures in await _grouped(session, conditions, Rating.location_code)
        ],
        by_shopper=[
            ShopperFigures(shopper_id=key, **figures)
            for key, figures in await _grouped(session, conditions, Rating.shopper_id)
        ],
    )


def _utc_day(session: AsyncSession) -> ColumnElement[Any]:
    """The UTC day of a rating's ``created_at``: SQLite stores it as naive UTC text; PostgreSQL
    would take the day in the connection's zone unless told UTC."""
    if is_postgres(session):
        return func.date(func.timezone("UTC", Rating.created_at))
    return func.date(Rating.created_at)


async def figures_per_day(
    session: AsyncSession, *, filters: RatingFilters
) -> list[tuple[Any, dict[str, Any]]]:
    """The summary's figures per UTC day of the ratings' creation, oldest first."""
    return await _grouped(session, _conditions(filters), _utc_day(session))
