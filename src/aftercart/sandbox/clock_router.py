"""``/v2/fulfillment_sandbox/clock``: the tenant's sandbox clock (Aftercart additions), mounted
with the sandbox. HTTP only: the clock is :mod:`aftercart.sandbox.clock_advance`'s.

Each handler first ends the request's own transaction, which only authenticated the caller:
an advance writes each effect in a transaction of its own, and on SQLite a request holding
the write lock would wait on itself.
"""

from typing import Final

from fastapi import APIRouter, Request

from aftercart import clock
from aftercart.auth.deps import FulfillmentClient
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.db.types import utcnow
from aftercart.errors import Conflict
from aftercart.openapi.routes import errors
from aftercart.sandbox import clock_advance
from aftercart.sandbox.clock_advance import Advanced
from aftercart.sandbox.clock_rules import advanced, check_frozen_at
from aftercart.sandbox.clock_schemas import (
    Clock,
    ClockAdvance,
    ClockAdvanced,
    ClockFreeze,
    FiredEffect,
)
from aftercart.sandbox.timed import Sessions

CLOCK_PATH: Final = "/v2/fulfillment_sandbox/clock"

router = APIRouter(prefix=CLOCK_PATH, tags=["sandbox"], route_class=TransactionalRoute)


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


async def _clock(sessions: Sessions, tenant_id: int) -> Clock:
    frozen_at = await clock_advance.read(sessions, tenant_id)
    return Clock(frozen=frozen_at is not None, now=frozen_at or utcnow())


def _answer(done: Advanced) -> ClockAdvanced:
    return ClockAdvanced(
        clock=Clock(frozen=True, now=done.now),
        advanced_from=done.was,
        fired=[
            FiredEffect(at=due.at, kind=due.kind, order_id=due.order_id, detail=due.detail)
            for due in done.fired
        ],
        complete=done.complete,
    )


@router.get("", summary="Read the caller's sandbox clock")
async def read_clock(request: Request, session: SessionDep, client: FulfillmentClient) -> Clock:
    """The caller's tenant's time: frozen, or the wall clock's."""
    await session.commit()
    return await _clock(_sessions(request), client.tenant_id)


@router.post("", summary="Freeze the caller's sandbox clock", responses=errors(409))
async def freeze_clock(
    request: Request,
    session: SessionDep,
    client: FulfillmentClient,
    settings: SettingsDep,
    body: ClockFreeze | None = None,
) -> ClockAdvanced:
    """Freezes the tenant's clock at ``frozen_at`` (the wall clock's time when not given): its
    orders, holds, chats, callbacks and webhook retries then live at that time until the clock
    is advanced. A clock already frozen moves forward to ``frozen_at``, firing what falls due
    on the way, as an advance does, and never moves back (400); without ``frozen_at`` it stays
    where it is. 409 when another request moved the clock during this one's advance."""
    await session.commit()
    sessions = _sessions(request)
    asked = check_frozen_at(body.frozen_at) if body and body.frozen_at else None
    target = asked or utcnow()
    if await clock_advance.freeze(sessions, client.tenant_id, target):
        return _answer(Advanced(target, target, [], complete=True))
    if asked is None:
        now = await clock_advance.read(sessions, client.tenant_id)
        if now is None:  # let go by another request since
            raise Conflict(clock_advance.MOVED)
        return _answer(Advanced(now, now, [], complete=True))
    return _answer(await clock_advance.advance(sessions, settings, client.tenant_id, to=target))


@router.post("/advance", summary="Advance the caller's sandbox clock", responses=errors(409))
async def advance_clock(
    request: Request,
    session: SessionDep,
    client: FulfillmentClient,
    settings: SettingsDep,
    body: ClockAdvance,
) -> ClockAdvanced:
    """Moves the tenant's clock forward by ``duration`` and fires, in the order their times
    fall, what the passed time fires: slot holds expire, Late delivery and Late pickup
    callbacks, webhook retries that fall due, chats expire, Rating reminders, and autopilot
    shoppers' steps. Effects due at the same time fire in that order. A clock on the wall
    is frozen at the wall's time first. 409 when another request moved the clock meanwhile:
    what this one fired stays fired, and nothing fires twice."""
    await session.commit()
    sessions = _sessions(request)
    start = await clock_advance.read(sessions, client.tenant_id) or utcnow()
    target = advanced(start, body.duration)
    done = await clock_advance.advance(sessions, settings, client.tenant_id, to=target)
    return _answer(done)


@router.delete("", summary="Put the caller's sandbox clock back on the wall clock")
async def let_go_of_clock(
    request: Request, session: SessionDep, client: FulfillmentClient
) -> Clock:
    """The tenant runs on the wall clock again. Webhook retries that waited on the frozen clock
    wait on the wall for what they still had to wait; nothing else fires."""
    await session.commit()
    sessions = _sessions(request)
    await clock_advance.let_go(sessions, client.tenant_id)
    with clock.running_at(None):
        return await _clock(sessions, client.tenant_id)
