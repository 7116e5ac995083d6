"""Secrets the service makes for itself on first start, kept in the database (``server_secrets``)
so that every process on one database uses the same one and it survives restarts."""

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.dialect import insert_for
from aftercart.db.types import utcnow
from aftercart.models import ServerSecret


async def kept_secret(sessions: async_sessionmaker[AsyncSession], name: str) -> bytes:
    """The secret called ``name``, made if there is none. Processes starting together may each
    offer one: the first insert to commit wins, and every process reads that one."""
    offered = secrets.token_hex(32)
    async with sessions() as session:
        insert = insert_for(session, ServerSecret).values(
            name=name, value=offered, created_at=utcnow()
        )
        await session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        kept = await session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
        await session.commit()
    assert kept is not None
    return kept.encode()
