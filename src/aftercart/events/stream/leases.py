"""The cap on open streams per token, held across processes.

Each open stream of a token holds a row of ``stream_leases``. Opening a stream deletes the
token's expired rows, counts the others and adds one, in one short write transaction
serialised per token (:func:`~aftercart.db.dialect.serialize_stream_opens`); closing it
deletes its row. A process renews all its rows in one UPDATE every :data:`RENEW_SECONDS`, so
the rows of a process that was killed expire by themselves. With no cap, nothing is written.

The count is the table's alone: this process's own streams are rows like any other's, and an
in-memory check first would only save a transaction when the answer is a refusal.
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart import tasks
from aftercart.db import dialect
from aftercart.db.types import utcnow
from aftercart.errors import CapReached
from aftercart.models import StreamLease as Row

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
"""How long a lease outlives its process's last renewal. Long enough that a live stream keeps
its place through two missed renewals (a busy database, a stalled event loop); short enough
that the streams of a killed process stop counting within half a minute."""
RENEW_SECONDS = LEASE_SECONDS / 3


class SharedCap:
    """At most ``max_per_token`` open streams per token among all the processes on the
    database (0: no cap, and no rows)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, max_per_token: int) -> None:
        """``sessions`` are write sessions (``BEGIN IMMEDIATE`` on SQLite)."""
        self.owner = secrets.token_hex(16)
        self._sessions = sessions
        self._max_per_token = max_per_token
        self._held: set[int] = set()
        #: Leases whose delete failed: deleted again at the next renewal rather than renewed.
        self._orphans: set[int] = set()

    async def take(self, token_hash: str) -> int | None:
        """A lease on one more open stream of the token: its id (None when there is no cap).
        Raises :class:`CapReached` when the token already has as many as it may."""
        if not self._max_per_token:
            return None
        now = utcnow()
        async with self._sessions() as session:
            await dialect.serialize_stream_opens(session, token_hash)
            await session.execute(
                delete(Row).where(Row.token_hash == token_hash, Row.expires_at <= now)
            )
            held = await session.scalar(
                select(func.count()).select_from(Row).where(Row.token_hash == token_hash)
            )
            if (held or 0) >= self._max_per_token:
                raise CapReached(
                    f"This token already has {self._max_per_token} open event streams, the most "
                    "it may have; close one first"
                )
            lease = Row(
                token_hash=token_hash,
                owner=self.owner,
                expires_at=now + timedelta(seconds=LEASE_SECONDS),
            )
            session.add(lease)
            await session.flush()
            await session.commit()
            self._held.add(lease.id)
        return lease.id

    async def give_back(self, lease_id: int) -> None:
        self._held.discard(lease_id)
        try:
            async with self._sessions() as session:
                await session.execute(
                    delete(Row).where(Row.id == lease_id, Row.owner == self.owner)
                )
                await session.commit()
        except Exception:
            log.warning("giving back a stream lease failed; retrying", exc_info=True)
            self._orphans.add(lease_id)

    async def renew(self) -> None:
        """Extends this process's leases (and deletes those it failed to give back)."""
        orphans = list(self._orphans)
        if not (self._held or orphans):
            return
        async with self._sessions() as session:
            if orphans:
                await session.execute(
                    delete(Row).where(Row.owner == self.owner, Row.id.in_(orphans))
                )
            await session.execute(
                update(Row)
                .where(Row.owner == self.owner)
                .values(expires_at=utcnow() + timedelta(seconds=LEASE_SECONDS))
            )
            await session.commit()
        self._orphans.difference_update(orphans)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Renews the leases while in the block; deletes all of them on the way out."""
        if not self._max_per_token:
            yield
            return
        try:
            async with tasks.running(self._renew_forever(), name="stream-lease-renewal"):
                yield
        finally:
            try:
                async with self._sessions() as session:
                    await session.execute(delete(Row).where(Row.owner == self.owner))
                    await session.commit()
            except Exception:
                log.warning("deleting the stream leases failed; they expire", exc_info=True)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                await self.renew()
            except Exception:
                log.warning("renewing the stream leases failed; retrying", exc_info=True)
