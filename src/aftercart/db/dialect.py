"""The few places where SQLite and PostgreSQL need different SQL."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

EVENTS_LOCK_KEY = 0x0AF7E2CA
#: The first key of the two-key advisory locks on a token's stream leases (the second is the
#: token's hash); two-key locks never collide with :data:`EVENTS_LOCK_KEY`'s one-key lock.
STREAM_LEASES_LOCK_SPACE = 0x0AF7


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def serialize_event_writers(session: AsyncSession) -> None:
    """Make event ids commit in id order.

    PostgreSQL hands out sequence values before commit, so without this a reader that follows
    ``id > last_seen`` could skip a row that commits late. The transaction-scoped advisory lock is
    held until commit. SQLite needs nothing: ``BEGIN IMMEDIATE`` already allows one writer.
    """
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK_KEY})


async def serialize_stream_opens(session: AsyncSession, token_hash: str) -> None:
    """Make the streams opened with one token count each other's leases: on PostgreSQL two
    transactions could otherwise both count cap - 1 and both insert. SQLite's ``BEGIN
    IMMEDIATE`` already allows one writer."""
    if is_postgres(session):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:token_hash))"),
            {"space": STREAM_LEASES_LOCK_SPACE, "token_hash": token_hash},
        )


def insert_for(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ``on_conflict_do_update`` on the session's dialect."""
    if is_postgres(session):
        return postgresql.insert(table)
    return sqlite.insert(table)
