"""Per-request transactions: the request owns the session and commits only on success."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.bodies import BodyRoute
from aftercart.db import aftercommit

#: Methods that only read: on SQLite their transaction begins deferred, so they never queue for
#: the one writer slot and run beside a writer on WAL's snapshot.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TransactionalRoute(BodyRoute):
    """Opens a session for the request and commits it before the response is returned (the body
    is read as :class:`~aftercart.bodies.BodyRoute` says).

    The commit happens before the client sees a 2xx, so an answer never announces a change that
    failed to commit; what the transaction deferred until after its commit (events to publish,
    a worker to wake) runs right after it. An exception (a domain error included) rolls back.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            state = request.app.state
            factory: async_sessionmaker[AsyncSession] = (
                state.read_sessions if request.method in READ_METHODS else state.sessions
            )
            async with factory() as session:
                request.state.session = session
                try:
                    response = await handler(request)
                    if response.status_code < 400:
                        await session.commit()
                        aftercommit.committed(session)
                    else:
                        await session.rollback()
                finally:
                    aftercommit.take(session)
                    # A streaming answer outlives the session: let the closed one go.
                    request.state.session = None
                return response

        return transactional_handler


async def get_session(request: Request) -> AsyncSession:
    """Async: FastAPI would run a plain ``def`` dependency in a worker thread, per request."""
    session: AsyncSession = request.state.session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
