"""Per-request transactions: the request owns the session and commits only on success."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession


class TransactionalRoute(APIRoute):
    """Opens a session for the request and commits it before the response is returned.

    The commit happens before the client sees a 2xx, so an answer never announces a change that
    failed to commit. An exception (a domain error included) rolls back.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            async with request.app.state.sessions() as session:
                request.state.session = session
                response = await handler(request)
                if response.status_code < 400:
                    await session.commit()
                else:
                    await session.rollback()
                return response

        return transactional_handler


def get_session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
