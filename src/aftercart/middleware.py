"""ASGI middleware: request ids with one log line and the metrics per request, and the
request-body limit."""

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftercart.envelopes import dialect_for, render
from aftercart.errors import PayloadTooLarge
from aftercart.observability import logs, metrics

access_log = logging.getLogger("aftercart.access")


class RequestLogMiddleware:
    """Gives every request an id (``X-Request-Id``, kept when the caller sends a sane one) that
    every log line written while handling it carries; when it ends, writes one log line and, with
    ``metrics``, counts it under its route's template (which routing left in the scope)."""

    def __init__(self, app: ASGIApp, *, metrics: bool = True) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        failed = True

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
            failed = False
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"]
            route = getattr(scope.get("route"), "path", None)
            if self.metrics:
                metrics.observe_request(route, method, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                duration_ms = round(seconds * 1000, 2)
                access_log.info(
                    "%s %s %s %.2f ms",
                    method,
                    scope["path"],
                    status,
                    duration_ms,
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": duration_ms,
                    },
                )
            # After an exception the id stays: the error handler outside this middleware and
            # the server log it next, in this request's own task.
            if not failed:
                logs.request_id.reset(token)


class BodyLimitMiddleware:
    """Refuses a body over ``max_bytes`` before anything parses it: at once by Content-Length,
    and while streaming for a chunked body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not refused:
                    refused = True
                    await self._refuse(scope, receive, send)
                    # The reader's error handling (a domain error, so no "unexpected" log) ends
                    # the request; its answer is dropped below.
                    raise PayloadTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # Once refused, whatever the app answers to the aborted read is dropped.
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except PayloadTooLarge:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = render(PayloadTooLarge(), dialect_for(scope["path"]))
        await response(scope, receive, send)
