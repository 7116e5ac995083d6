"""The sandbox's lists (Aftercart additions): its shoppers, batches and Instacart users, and a
user's orders, newest first and cursor-paginated. Nothing here locks or writes.

A client sees its tenant's rows (:mod:`aftercart.db.tenancy` adds the condition to every query,
so pages stay full); another tenant's row answers exactly as an unknown one.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.tenancy import tenant_of
from aftercart.errors import InvalidParameter, NotFound, UserNotFound
from aftercart.fulfillment.order_links import OrderLinks
from aftercart.fulfillment.rules import CANCELED, order_status
from aftercart.linking.service import INVALID_USER_ID
from aftercart.models import Batch, InstacartUser, Order, PickupStatus, Shopper, User, UserLink
from aftercart.sandbox import listing_rules as rules
from aftercart.sandbox import read_rules
from aftercart.sandbox.lookup import internal_id
from aftercart.sandbox.rules import WORKFLOWS
from aftercart.sandbox.schemas import (
    BatchDetail,
    BatchList,
    BatchListParams,
    BatchOrderSummary,
    BatchShopper,
    InstacartUserList,
    InstacartUserView,
    PageParams,
    ShopperList,
    ShopperSummary,
    UserOrderList,
    UserOrderSummary,
)

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])

SHOPPERS, BATCHES, INSTACART_USERS, ORDERS = "shoppers", "batches", "instacart_users", "orders"


def _after(statement: Query, key: Any, kind: str, cursor: str | None) -> Query:
    """Rows after the cursor, newest (highest id) first; a cursor not of this list is 400."""
    if cursor is not None:
        try:
            statement = statement.where(key < rules.decode_cursor(kind, cursor))
        except ValueError as exc:
            raise InvalidParameter(str(exc), key="cursor") from exc
    return statement.order_by(key.desc())


# --- Shoppers -------------------------------------------------------------------------------------


async def list_shoppers(session: AsyncSession, *, params: PageParams) -> ShopperList:
    statement = _after(select(Shopper), Shopper.id, SHOPPERS, params.cursor)
    rows = (await session.scalars(statement.limit(params.limit + 1))).all()
    page, cursor = rules.page_of(rows, limit=params.limit, kind=SHOPPERS, row_id=_id)
    return ShopperList(
        shoppers=[
            ShopperSummary(
                id=s.id,
                first_name=s.first_name,
                email=s.email,
                phone=s.phone,
                created_at=s.created_at,
            )
            for s in page
        ],
        next_cursor=cursor,
    )


def _id(row: Shopper | Batch | InstacartUser | Order) -> int:
    return row.id


# --- Batches --------------------------------------------------------------------------------------


def _in_batch(batch_id: Any) -> ColumnElement[bool]:
    """The batch's orders: those it shops (``batch_id``), or, for a runner batch, the staged
    pickup orders it runs out (``pickup_statuses.runner_batch_id``)."""
    run = (
        select(PickupStatus.order_pk)
        .where(PickupStatus.runner_batch_id == batch_id)
        .correlate_except(PickupStatus)
    )
    return or_(Order.batch_id == batch_id, Order.id.in_(run.scalar_subquery()))


def _batch_conditions(params: BatchListParams) -> list[Any]:
    orders = select(Order.id).where(_in_batch(Batch.id)).correlate(Batch)
    conditions: list[Any] = []
    if params.shopper_id is not None:
        conditions.append(Batch.shopper_id == params.shopper_id)
    if params.state == "open":
        # read_rules.batch_open in SQL: a step left, and an order that is not canceled.
        step_left = [
            and_(Batch.batch_type == kind, Batch.workflow_state != workflow[-1])
            for kind, workflow in WORKFLOWS.items()
        ]
        conditions.append(or_(false(), *step_left))
        conditions.append(orders.where(Order.workflow_state != CANCELED).exists())
    return conditions


async def _batch_details(session: AsyncSession, batches: Sequence[Batch]) -> list[BatchDetail]:
    ids = [batch.id for batch in batches]
    if not ids:
        return []
    shoppers = {
        s.id: s
        for s in await session.scalars(
            select(Shopper).where(Shopper.id.in_({b.shopper_id for b in batches}))
        )
    }
    held: dict[int, list[Order]] = {batch_id: [] for batch_id in ids}
    shopped = await session.scalars(select(Order).where(Order.batch_id.in_(ids)).order_by(Order.id))
    for order in shopped:
        held[order.batch_id or 0].append(order)
    run = await session.execute(
        select(PickupStatus.runner_batch_id, Order)
        .join(Order, Order.id == PickupStatus.order_pk)
        .where(PickupStatus.runner_batch_id.in_(ids))
        .order_by(Order.id)
    )
    for runner_batch_id, order in run:
        held[runner_batch_id or 0].append(order)
    details = []
    for batch in batches:
        orders = held[batch.id]
        shopper = shoppers[batch.shopper_id]
        details.append(
            BatchDetail(
                id=batch.id,
                batch_type=batch.batch_type,
                workflow_state=batch.workflow_state,
                next_state=read_rules.next_state(batch.batch_type, batch.workflow_state),
                open=read_rules.batch_open(
                    batch.batch_type, batch.workflow_state, [o.workflow_state for o in orders]
                ),
                shopper=BatchShopper(id=shopper.id, first_name=shopper.first_name),
                orders=[_batch_order(o) for o in orders],
                created_at=batch.created_at,
                updated_at=batch.updated_at,
            )
        )
    return details


def _batch_order(order: Order) -> BatchOrderSummary:
    return BatchOrderSummary(
        id=order.order_id,
        user_id=order.user_id,
        service_type=order.service_type,
        workflow_state=order.workflow_state,
        status=order_status(order.workflow_state),
    )


async def read_batch(session: AsyncSession, *, batch_id: int) -> BatchDetail:
    """One batch; another tenant's is 404, like an unknown one (the sandbox's ``Resource not
    found``, as the advance answers)."""
    batch = await session.get(Batch, batch_id)
    if batch is None:
        raise NotFound()
    [detail] = await _batch_details(session, [batch])
    return detail


async def list_batches(session: AsyncSession, *, params: BatchListParams) -> BatchList:
    statement = _after(
        select(Batch).where(*_batch_conditions(params)),
        Batch.id,
        BATCHES,
        params.cursor,
    )
    rows = (await session.scalars(statement.limit(params.limit + 1))).all()
    page, cursor = rules.page_of(rows, limit=params.limit, kind=BATCHES, row_id=_id)
    return BatchList(batches=await _batch_details(session, page), next_cursor=cursor)


# --- Instacart users ------------------------------------------------------------------------------


def _instacart_user(account: InstacartUser, linked_user_id: str | None) -> InstacartUserView:
    return InstacartUserView(
        id=account.id,
        email=account.email,
        phone=account.phone,
        instacartplus_member=account.instacartplus_member,
        linked_user_id=linked_user_id,
        created_at=account.created_at,
    )


def _with_link() -> Select[InstacartUser, str | None]:
    return select(InstacartUser, UserLink.user_id).outerjoin(
        UserLink, UserLink.instacart_user_id == InstacartUser.id
    )


async def list_instacart_users(session: AsyncSession, *, params: PageParams) -> InstacartUserList:
    """Every sandbox Instacart account: they record no client, like Instacart's own."""
    statement = _after(_with_link(), InstacartUser.id, INSTACART_USERS, params.cursor)
    rows = (await session.execute(statement.limit(params.limit + 1))).all()
    page, cursor = rules.page_of(
        rows, limit=params.limit, kind=INSTACART_USERS, row_id=lambda row: row[0].id
    )
    return InstacartUserList(
        instacart_users=[_instacart_user(account, linked) for account, linked in page],
        next_cursor=cursor,
    )


async def read_instacart_user(session: AsyncSession, *, user_ref: str) -> InstacartUserView:
    """The account ``user_ref`` names; an unknown one is authorize's 400 ``Invalid user_id``."""
    pk = internal_id(user_ref)
    row = None
    if pk is not None:
        row = (await session.execute(_with_link().where(InstacartUser.id == pk))).first()
    if row is None:
        raise InvalidParameter(INVALID_USER_ID, key="user_id")
    return _instacart_user(*row)


# --- A user's orders ------------------------------------------------------------------------------


async def list_user_orders(
    session: AsyncSession, *, user_id: str, params: PageParams, links: OrderLinks
) -> UserOrderList:
    """The user's orders; an unknown user is Connect's 400 ``User Not
    Found`` (key ``user_id``), as everywhere a path names a user."""
    if await session.get(User, (tenant_of(session), user_id)) is None:
        raise UserNotFound()
    statement = _after(
        select(Order).where(Order.user_id == user_id),
        Order.id,
        ORDERS,
        params.cursor,
    )
    rows = (await session.scalars(statement.limit(params.limit + 1))).all()
    page, cursor = rules.page_of(rows, limit=params.limit, kind=ORDERS, row_id=_id)
    return UserOrderList(
        orders=[
            UserOrderSummary(
                id=order.order_id,
                service_type=order.service_type,
                workflow_state=order.workflow_state,
                status=order_status(order.workflow_state),
                location_code=order.location_code,
                batch_id=order.batch_id,
                shopper_id=order.shopper_id,
                created_at=order.created_at,
                order_url=links.url(order.tenant_id, order.order_id),
            )
            for order in page
        ],
        next_cursor=cursor,
    )
