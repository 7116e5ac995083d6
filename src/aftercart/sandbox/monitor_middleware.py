"""The request monitor's capture: an ASGI middleware that copies each request and its answer as
they pass (never holding either back) and, once the answer is sent, hands the copy to the
process's :class:`~aftercart.sandbox.monitor_recorder.Recorder`.

Only requests whose caller is known are kept: those the ``authenticate`` dependency let through
(it leaves ``client_id`` in the request's state), and token requests, which name their client in
their body. An event stream is handed over when it opens, without its body. The monitor's own
reads are not recorded: polling it would push out what it is there to show.
"""

import logging
import time
from typing import Final

from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftercart.db.types import utcnow
from aftercart.sandbox.monitor_rules import CAPTURE_BYTES, Capture, header, named_client

log = logging.getLogger(__name__)

MONITOR_PATH: Final = "/v2/fulfillment_sandbox/monitor"
#: Requests that name their client in the body (or in Basic credentials) instead of a token.
TOKEN_PATHS: Final = frozenset({"/v2/oauth/token", "/v2/oauth/token/revoke"})
EVENT_STREAM: Final = "text/event-stream"


class _Copy:
    """The first :data:`CAPTURE_BYTES` of a body, and its whole length."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.kept = 0
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.kept < CAPTURE_BYTES:
            part = chunk[: CAPTURE_BYTES - self.kept]
            self.chunks.append(part)
            self.kept += len(part)

    def raw(self) -> bytes:
        return b"".join(self.chunks)


class _Exchange:
    """One request and its answer as they pass through."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.started_at = utcnow()
        self.clock = time.perf_counter()
        self.request = _Copy()
        self.response = _Copy()
        self.status = 500
        self.response_headers: list[tuple[bytes, bytes]] = []
        self.streamed = False
        self.handed_over = False

    def capture(self) -> Capture | None:
        """What to record, or ``None`` when the caller is unknown."""
        scope = self.scope
        state = scope.get("state", {})
        client_id: str | None = state.get("client_id")
        verified = client_id is not None
        if client_id is None and scope["method"] == "POST" and scope["path"] in TOKEN_PATHS:
            authorization = header(scope["headers"], b"authorization")
            client_id = named_client(self.request.raw(), authorization=authorization)
        if client_id is None:
            return None
        return Capture(
            client_id=client_id,
            verified=verified,
            request_id=state.get("request_id"),
            started_at=self.started_at,
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b""),
            request_headers=list(scope["headers"]),
            request_body=self.request.raw(),
            request_size=self.request.size,
            status=self.status,
            duration_ms=(time.perf_counter() - self.clock) * 1000,
            response_headers=self.response_headers,
            response_body=self.response.raw(),
            response_size=self.response.size,
            streamed=self.streamed,
        )


class RequestMonitorMiddleware:
    """Records through ``state.monitor`` (the app's state; the recorder is put there by the
    lifespan, so without one nothing is captured)."""

    def __init__(self, app: ASGIApp, *, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(f"{MONITOR_PATH}/")
            or getattr(self.state, "monitor", None) is None
        ):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope)

        async def copying_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                exchange.request.add(message.get("body", b""))
            return message

        async def copying_send(message: Message) -> None:
            await send(message)
            if exchange.handed_over:
                return
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = list(message.get("headers", []))
                if header(exchange.response_headers, b"content-type").startswith(EVENT_STREAM):
                    exchange.streamed = True
                    self._hand_over(exchange)
            elif message["type"] == "http.response.body":
                exchange.response.add(message.get("body", b""))

        try:
            await self.app(scope, copying_receive, copying_send)
        finally:
            if not exchange.handed_over:
                self._hand_over(exchange)

    def _hand_over(self, exchange: _Exchange) -> None:
        """Never raises: a failure to record must not touch the answer."""
        exchange.handed_over = True
        try:
            capture = exchange.capture()
            if capture is not None:
                self.state.monitor.submit(capture)
        except Exception:
            log.exception("request monitor: %s was not recorded", exchange.scope["path"])
