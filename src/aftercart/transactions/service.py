"""Point-of-sale transactions: record one (a resend answers as the first send did) and list them.

No event is recorded: Instacart's callback catalogue has no point-of-sale callback, so a webhook
or stream event of Aftercart's own would be one no Connect client expects.
"""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.tenancy import tenant_of
from aftercart.errors import AftercartError, Conflict, InvalidParameter, MultipleErrors
from aftercart.models import Order, PosTransaction, Store
from aftercart.transactions import rules
from aftercart.transactions.schemas import (
    ListParams,
    PosTransactionIn,
    PosTransactionOut,
    PosTransactionPage,
)

ORDER_NOT_FOUND = "Order not found"
STORE_NOT_FOUND = "Store not found"
NOT_THE_ORDERS_STORE = "is not the store of the order"
ID_TAKEN = "A different transaction was already sent with this id"
#: Connect has no code for a 409: Aftercart's own is 6 and the status (see aftercart.errors).
ID_TAKEN_CODE = 6409


def _resent(existing: PosTransaction, digest: str) -> str:
    """The answer to a resend: the first send's ``id`` when the body is the same, else 409."""
    if existing.body_digest != digest:
        raise Conflict(ID_TAKEN, key="id", code=ID_TAKEN_CODE)
    return existing.transaction_id


async def _checked_order(
    session: AsyncSession, body: PosTransactionIn, now: datetime
) -> Order | None:
    """The order the body names (if any), after every check that needs the database; several
    problems at once are code 9999."""
    problems: list[AftercartError] = []
    if rules.in_future(body.transaction_timestamp, now):
        problems.append(InvalidParameter(rules.FUTURE_MESSAGE, key="transaction_timestamp"))
    order = None
    if body.order_id is not None:
        order = await session.scalar(select(Order).where(Order.order_id == body.order_id))
        if order is None:
            problems.append(InvalidParameter(ORDER_NOT_FOUND, key="order_id"))
    if order is not None:
        if order.location_code != body.store_id:
            problems.append(InvalidParameter(NOT_THE_ORDERS_STORE, key="store_id"))
    elif await session.get(Store, body.store_id) is None:
        problems.append(InvalidParameter(STORE_NOT_FOUND, key="store_id"))
    if len(problems) > 1:
        raise MultipleErrors(problems)
    if problems:
        raise problems[0]
    return order


async def record_transaction(
    session: AsyncSession, *, body: PosTransactionIn, client_id: str, now: datetime
) -> str:
    """Stores the transaction and answers its ``id``.

    A resend of an ``id`` already stored answers the same when its validated body is the same
    (nothing new is stored) and 409 otherwise, before any other check. Two first sends at once:
    the savepoint turns the loser's duplicate key into the same comparison.
    """
    stored = body.stored()
    digest = rules.digest(stored)
    existing = await session.get(PosTransaction, (tenant_of(session), body.id))
    if existing is not None:
        return _resent(existing, digest)
    order = await _checked_order(session, body, now)
    row = PosTransaction(
        transaction_id=body.id,
        order_pk=order.id if order is not None else None,
        order_id=body.order_id,
        store_id=body.store_id,
        client_id=client_id,
        transaction_at=body.transaction_timestamp,
        body=stored,
        body_digest=digest,
        received_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        first = await session.scalar(
            select(PosTransaction)
            .where(PosTransaction.transaction_id == body.id)
            .execution_options(populate_existing=True)
        )
        if first is None:  # not a duplicate id: the order went away meanwhile
            raise
        return _resent(first, digest)
    return body.id


def transaction_out(row: PosTransaction) -> PosTransactionOut:
    return PosTransactionOut.model_validate(
        {
            **row.body,
            "order_id": row.order_id,
            "client_id": row.client_id,
            "received_at": row.received_at,
            "sent_late": rules.sent_late(row.transaction_at, row.received_at),
        }
    )


async def list_transactions(session: AsyncSession, *, params: ListParams) -> PosTransactionPage:
    """A page newest first (by arrival). The cursor is the last row's ``(received_at,
    transaction_id)``: rows stored later sort before it, so a page being walked never shifts."""
    statement = select(PosTransaction)
    if params.order_id is not None:
        order = await session.scalar(select(Order.id).where(Order.order_id == params.order_id))
        if order is None:
            raise InvalidParameter(ORDER_NOT_FOUND, key="order_id")
        statement = statement.where(PosTransaction.order_pk == order)
    if params.cursor is not None:
        try:
            received_at, transaction_id = rules.decode_cursor(params.cursor)
        except ValueError as exc:
            raise InvalidParameter(str(exc), key="cursor") from exc
        statement = statement.where(
            or_(
                PosTransaction.received_at < received_at,
                and_(
                    PosTransaction.received_at == received_at,
                    PosTransaction.transaction_id < transaction_id,
                ),
            )
        )
    statement = statement.order_by(
        PosTransaction.received_at.desc(), PosTransaction.transaction_id.desc()
    )
    rows = (await session.scalars(statement.limit(params.limit + 1))).all()
    page = rows[: params.limit]
    next_cursor = None
    if len(rows) > params.limit:
        next_cursor = rules.encode_cursor(page[-1].received_at, page[-1].transaction_id)
    return PosTransactionPage(
        pos_transactions=[transaction_out(row) for row in page], next_cursor=next_cursor
    )
