"""A request runs on its tenant's sandbox clock: the clock is read once, as the request names
its tenant, and :func:`aftercart.clock.now` answers it for the rest of the request.

:class:`ClockScope` wraps every request of an application with the sandbox on, and puts the
wall clock back when the request ends (an in-process client runs requests in its own task, so
nothing may stay set). Without the sandbox there is no scope, and no clock is read.
"""

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from aftercart import clock
from aftercart.db.tenancy import serve_tenant
from aftercart.sandbox import clock_store

_in_scope: ContextVar[bool] = ContextVar("aftercart_clock_scope", default=False)


class ClockScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with clock.running_at(None):
            token = _in_scope.set(True)
            try:
                await self.app(scope, receive, send)
            finally:
                _in_scope.reset(token)


async def enter_tenant(session: AsyncSession, tenant_id: int) -> None:
    """Serves ``tenant_id`` (:func:`aftercart.db.tenancy.serve_tenant`) and, with the sandbox
    on, runs the rest of the request at the tenant's frozen time, if it has one."""
    serve_tenant(session, tenant_id)
    if _in_scope.get():
        clock.stop_at(await clock_store.frozen_at(session, tenant_id))
