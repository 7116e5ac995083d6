"""Connect ratings (Instacart's "Create or update order feedback" pages) and the one upsert
every source writes through."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.db.dialect import insert_for
from aftercart.db.tenancy import tenant_of
from aftercart.errors import (
    AftercartError,
    IncompatibleOrderStatus,
    InvalidParameter,
    MultipleErrors,
    NotFound,
    UserNotActive,
    UserNotFound,
)
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.feedback import rules
from aftercart.feedback.schemas import RatingIn, RatingOut, StoredRating
from aftercart.fulfillment.lookup import order_for_update
from aftercart.fulfillment.rules import is_delivered
from aftercart.models import Order, Rating, User

#: Columns an upsert never overwrites: the row's identity and its first creation time.
_KEPT_ON_UPDATE = frozenset({"id", "tenant_id", "source", "dedupe_key", "created_at"})


async def upsert_rating(
    session: AsyncSession, *, source: str, dedupe_key: str, **values: Any
) -> Rating:
    """Creates the rating of ``(source, dedupe_key)`` in the session's tenant, or replaces the
    stored one.

    One ``INSERT ... ON CONFLICT DO UPDATE``, so two first ratings racing each other still make
    one row; ``created_at`` stays the first one, ``updated_at`` moves.
    """
    now = clock.now()
    row: dict[str, Any] = {
        column.key: None for column in Rating.__table__.columns if column.key not in _KEPT_ON_UPDATE
    }
    row.update(highlights=[], updated_at=now)
    row.update(values)
    statement = insert_for(session, Rating).values(
        tenant_id=tenant_of(session), source=source, dedupe_key=dedupe_key, created_at=now, **row
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Rating.tenant_id, Rating.source, Rating.dedupe_key],
        set_={key: statement.excluded[key] for key in row},
    )
    rating: Rating = (
        await session.scalars(
            statement.returning(Rating), execution_options={"populate_existing": True}
        )
    ).one()
    return rating


def stored(rating: Rating) -> StoredRating:
    return StoredRating(
        id=rating.id,
        source=rating.source,
        channel=rating.channel,
        order_id=rating.order_ref,
        user_id=rating.user_id,
        store=rating.location_code,
        shopper_id=rating.shopper_id,
        rating=rating.rating,
        rating_value=rating.rating_value,
        highlights=rating.highlights,
        thank_you_note=rating.thank_you_note,
        comment=rating.comment,
        predefined_comment=rating.predefined_comment,
        external_id=rating.external_id,
        external_order_id=rating.external_order_id,
        restaurant_id=rating.restaurant_id,
        order_total=rating.order_total,
        order_info=rating.order_info,
        details=rating.feedback_details,
        rated_at=rating.rated_at,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
    )


async def check_user(session: AsyncSession, user_id: str) -> None:
    """The backend feedback page's user rows: unknown → 400 ``User Not Found``, inactive → 403."""
    user = await session.get(User, (tenant_of(session), user_id))
    if user is None:
        raise UserNotFound()
    if not user.active:
        raise UserNotActive()


def _owned(order: Order | None, user_id: str) -> Order:
    """Another user's order is answered exactly like a missing one."""
    if order is None or order.user_id != user_id:
        raise NotFound()
    return order


def _check_highlights(highlights: list[rules.Highlight], service_type: str) -> None:
    errors: list[AftercartError] = [
        InvalidParameter(message, key=f"highlights[{index}]")
        for index, message in rules.highlight_problems(highlights, service_type)
    ]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(errors)


async def rate_order(
    session: AsyncSession, *, user_id: str, order_id: str, body: RatingIn, channel: str
) -> Rating:
    """Creates or replaces the order's one rating, for a delivered order of ``user_id``."""
    order = _owned(await order_for_update(session, order_id), user_id)
    highlights = list(body.highlights or [])
    _check_highlights(highlights, order.service_type)
    if not is_delivered(order.workflow_state):
        raise IncompatibleOrderStatus()
    rating = await upsert_rating(
        session,
        source=rules.SOURCE_CONNECT,
        dedupe_key=order.order_id,
        channel=channel,
        order_pk=order.id,
        order_ref=order.order_id,
        user_id=order.user_id,
        location_code=order.location_code,
        shopper_id=order.shopper_id,
        rating=rules.stars(body.rating_value),
        rating_value=body.rating_value.value,
        highlights=[h.value for h in highlights],
        thank_you_note=body.thank_you_note,
        rated_at=clock.now(),
    )
    await record_event(
        session,
        names.RATING_UPDATED,
        order=order,
        metadata={"rating": stored(rating).model_dump(mode="json")},
    )
    return rating


async def read_rating(session: AsyncSession, *, user_id: str, order_id: str) -> RatingOut:
    order = _owned(await session.scalar(select(Order).where(Order.order_id == order_id)), user_id)
    rating = await session.scalar(
        select(Rating).where(
            Rating.source == rules.SOURCE_CONNECT, Rating.dedupe_key == order.order_id
        )
    )
    if rating is None:
        raise NotFound()
    return RatingOut(
        rating_value=rating.rating_value,
        highlights=rating.highlights,
        thank_you_note=rating.thank_you_note,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
    )
