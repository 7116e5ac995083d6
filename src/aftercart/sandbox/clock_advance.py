"""Moving a tenant's sandbox clock, and firing in order what the passed time fires.

An advance asks every source (:mod:`aftercart.sandbox.clock_effects`, and the autopilot
shoppers) for its earliest effect due by the target time, moves the stored clock to that
effect's time, fires it there, and asks again, until nothing more is due; then it moves the
clock to the target. Each effect is its own transaction, and the clock is stored after each
step, so an advance cut short leaves the clock at the last effect it fired, and a second
advance goes on from there. Two advances racing on one tenant cannot both move the clock from
the same time: the loser stops with 409 and fires nothing more.
"""

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.exc import IntegrityError

from aftercart import clock
from aftercart.config import Settings
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.errors import Conflict, InvalidParameter
from aftercart.events.webhooks.sender import Sender
from aftercart.sandbox import clock_effects, clock_store
from aftercart.sandbox.timed import Due, Sessions, TimedEffect

#: Effects one advance fires at most; past it, the clock stays at the last one fired, and the
#: answer says the advance is not complete.
MAX_EFFECTS: Final = 5_000
MOVED = "The sandbox clock was moved by another request during this advance"


@dataclass(frozen=True)
class Advanced:
    """What an advance did: where the clock was and is, and what fired, in order."""

    was: datetime
    now: datetime
    fired: Sequence[Due]
    complete: bool


async def read(sessions: Sessions, tenant_id: int) -> datetime | None:
    async with sessions() as session:
        return await clock_store.frozen_at(session, tenant_id)


async def freeze(sessions: Sessions, tenant_id: int, moment: datetime) -> bool:
    """Freezes a clock that runs on the wall clock at ``moment``; ``False`` when it was frozen
    already (by another request, perhaps at the same instant: then the database's key refuses
    the second row)."""
    try:
        async with sessions() as session:
            if await clock_store.frozen_at(session, tenant_id) is not None:
                return False
            await clock_store.freeze(session, tenant_id, moment)
            await session.commit()
    except IntegrityError:
        return False
    return True


async def let_go(sessions: Sessions, tenant_id: int) -> bool:
    async with sessions() as session:
        was = await clock_store.let_go(session, tenant_id)
        await session.commit()
    return was


@contextlib.asynccontextmanager
async def _sources(settings: Settings, since: datetime) -> AsyncIterator[list[TimedEffect]]:
    sender = Sender(public_only=not settings.allow_private_webhooks)
    try:
        yield clock_effects.effects(settings, since=since, sender=sender)
    finally:
        await sender.aclose()


async def advance(
    sessions: Sessions, settings: Settings, tenant_id: int, *, to: datetime
) -> Advanced:
    """Moves the tenant's frozen clock forward to ``to``, firing what falls due on the way. A
    clock on the wall is first frozen at the wall's time."""
    was = await read(sessions, tenant_id)
    if was is None:
        was = utcnow()
        if not await freeze(sessions, tenant_id, was):
            raise Conflict(MOVED)
    if to < was:
        raise InvalidParameter("can't be earlier than the sandbox clock's time", key="frozen_at")
    now, fired, stuck = was, list[Due](), set[tuple[str, int, datetime]]()
    async with _sources(settings, was) as sources:
        while len(fired) < MAX_EFFECTS:
            due = await _earliest(sessions, tenant_id, sources, was, to, stuck)
            if due is None:
                break
            at = max(due.at, now)
            await _move(sessions, tenant_id, now, at)
            now = at
            source = next(s for s in sources if s.kind == due.kind)
            with clock.running_at(now):
                if await source.fire(sessions, tenant_id, due):
                    fired.append(dataclasses.replace(due, at=now))
                else:
                    stuck.add((due.kind, due.key, due.at))
        else:
            return Advanced(was, now, fired, complete=False)
    await _move(sessions, tenant_id, now, to)
    return Advanced(was, to, fired, complete=True)


async def _earliest(
    sessions: Sessions,
    tenant_id: int,
    sources: Sequence[TimedEffect],
    since: datetime,
    until: datetime,
    stuck: set[tuple[str, int, datetime]],
) -> Due | None:
    """The earliest effect due of all sources. An effect that did not fire when asked (another
    process fired it, or it was no longer due) and is offered again is passed over: its source
    offers nothing more in this advance."""
    dues: list[Due] = []
    async with sessions() as session:
        serve_tenant(session, tenant_id)
        for source in sources:
            offered = await source.next_due(session, tenant_id, after=since, until=until)
            if offered is not None and (offered.kind, offered.key, offered.at) not in stuck:
                dues.append(offered)
    return min(dues, default=None)


async def _move(sessions: Sessions, tenant_id: int, was: datetime, to: datetime) -> None:
    if was == to:
        return
    async with sessions() as session:
        if not await clock_store.move(session, tenant_id, was=was, to=to):
            raise Conflict(MOVED)
        await session.commit()
