"""The one place where errors become wire bodies.

Aftercart speaks four error dialects, chosen by the request path:

* Connect (``/v2/...``): ``{"error": {"message", "code"}, "meta": {"key"?}}``; several errors
  inside code 9999.
* Post-checkout (``/v2/post_checkout/...``): ``{"error": "<message>", "status": <int>}``.
* Marketplace (``/v1/...``, ``/security/...``): a list of ``{"code", "description"}``;
  401 is ``{"reason": "..."}``.
* OAuth (``/v2/oauth/...``): ``{"error": "<slug>", "error_description": "..."}``.
"""

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aftercart.errors import (
    AftercartError,
    Conflict,
    InvalidParameter,
    MethodNotAllowed,
    MultipleErrors,
    NotFound,
    OAuthError,
    ParamsError,
    ServiceUnavailable,
    TooManyRequests,
)

log = logging.getLogger(__name__)

SERVER_ERROR_MESSAGE = (
    "Sorry, an unexpected error occurred. Our team has been notified. Please try again later."
)
MULTIPLE_ERRORS_MESSAGE = "There were issues with your request"
#: PostgreSQL's SQLSTATE for text it cannot store (NUL): the request's fault, not ours.
CHARACTER_NOT_IN_REPERTOIRE = "22021"
UNSTORABLE_MESSAGE = "A value contains the NUL character (U+0000), which cannot be stored"
#: HTTP's own methods (RFC 9110, and PATCH), in ``Allow``'s order.
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
#: The OAuth error of a 429: RFC 6749 has none for a rate limit; RFC 8628 registered
#: ``slow_down`` as a token endpoint error for a client that asks too often.
OAUTH_RATE_LIMITED = "slow_down"


class Dialect(StrEnum):
    CONNECT = "connect"
    POST_CHECKOUT = "post_checkout"
    MARKETPLACE = "marketplace"
    OAUTH = "oauth"


#: The post-checkout pickup operations document Connect's error table (codes 2001, 4000, 4001
#: and a ``meta`` object), so they answer in Connect's envelope.
_PICKUP_PATH = re.compile(r"^/v2/post_checkout/orders/[^/]+/(pickup/|pickup_delegate/?$)")


def dialect_for(path: str) -> Dialect:
    if path.startswith("/v2/post_checkout"):
        return Dialect.CONNECT if _PICKUP_PATH.match(path) else Dialect.POST_CHECKOUT
    if path.startswith(("/v1/", "/security/")):
        return Dialect.MARKETPLACE
    if path.startswith("/v2/oauth"):
        return Dialect.OAUTH
    return Dialect.CONNECT


def _connect_single(error: AftercartError) -> dict[str, Any]:
    meta: dict[str, Any] = {"key": error.key} if error.key else {}
    if isinstance(error, ParamsError):
        meta = dict(error.meta)
    return {"error": {"message": error.message, "code": error.code}, "meta": meta}


def connect_body(error: AftercartError) -> dict[str, Any]:
    if isinstance(error, MultipleErrors):
        return {
            "error": {
                "message": MULTIPLE_ERRORS_MESSAGE,
                "code": 9999,
                "errors": [_connect_single(e) for e in error.errors],
            },
            "meta": {},
        }
    return _connect_single(error)


def oauth_body(error: OAuthError) -> dict[str, str]:
    return {"error": error.error, "error_description": error.description}


def _described(error: AftercartError) -> str:
    return f"{error.key}: {error.message}" if error.key else error.message


def _flatten(error: AftercartError) -> list[AftercartError]:
    return list(error.errors) if isinstance(error, MultipleErrors) else [error]


def render(error: AftercartError, dialect: Dialect) -> JSONResponse:
    status = error.http_status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, TooManyRequests):
        headers = {"Retry-After": str(error.retry_after)}
    if isinstance(error, MethodNotAllowed):
        headers = {"Allow": error.allow}
    body: Any
    if dialect is Dialect.POST_CHECKOUT:
        body = {"error": "; ".join(_described(e) for e in _flatten(error)), "status": status}
    elif dialect is Dialect.MARKETPLACE:
        if status == 401:
            body = {"reason": error.message}
        else:
            body = [
                {"code": e.code if e.code is not None else status, "description": _described(e)}
                for e in _flatten(error)
            ]
    elif dialect is Dialect.OAUTH:
        slug = OAUTH_RATE_LIMITED if status == 429 else "invalid_request"
        body = {"error": slug, "error_description": _described(error)}
    else:
        body = connect_body(error)
    return JSONResponse(body, status_code=status, headers=headers)


def _key_from_loc(loc: Sequence[int | str]) -> str:
    """``("body", "items", 0, "line_num")`` → ``items[0].line_num``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    key = ""
    for part in parts:
        if isinstance(part, int):
            key += f"[{part}]"
        elif not key:
            key = str(part)
        elif part.startswith(("function-", "tagged-union")) or "[" in part:
            continue
        else:
            key += f".{part}"
    return key or "body"


def _rails_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "can't be blank"
    if kind in ("enum", "literal_error"):
        return "is not included in the list"
    if kind == "json_invalid":
        return "is not valid JSON"
    if kind == "string_too_long":
        return f"is too long (maximum is {ctx.get('max_length')} characters)"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "can't be blank"
    if kind in ("greater_than_equal", "greater_than"):
        return (
            "must be greater than"
            + (" or equal to" if kind.endswith("equal") else "")
            + (f" {ctx.get('ge', ctx.get('gt'))}")
        )
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg") or "is invalid")
    return "is invalid"


#: What routing reads of a request, to ask each route whether it takes a method at a path.
_BARE_SCOPE: dict[str, Any] = {"type": "http", "root_path": "", "headers": [], "query_string": b""}


def allowed_methods(request: Request) -> str:
    """Every method some route takes at the request's path (Starlette's 405 names those of one
    route only, where GET and POST of one path are two routes)."""
    routes = request.app.router.routes
    allowed = []
    for method in HTTP_METHODS:
        probe = {**_BARE_SCOPE, "method": method, "path": request.scope["path"]}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return ", ".join(allowed)


def validation_error(exc: RequestValidationError) -> AftercartError:
    """Turns the framework's validation report into Connect's 1001 errors (9999 for several)."""
    errors: list[AftercartError] = []
    for item in exc.errors():
        loc = tuple(item.get("loc", ()))
        if item.get("type") == "json_invalid":
            errors.append(InvalidParameter("is not valid JSON", key="body"))
            continue
        errors.append(InvalidParameter(_rails_message(item), key=_key_from_loc(loc)))
    if len(errors) == 1:
        return errors[0]
    return MultipleErrors(errors)


def _dialect_of(request: Request) -> Dialect:
    """The scope's path, not ``request.url.path``: rebuilding the URL drops tab, CR and LF
    (``urllib.parse`` strips them), so ``/orders/%0D/pickup/...`` would look like another path."""
    return dialect_for(request.scope["path"])


def install(app: FastAPI) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AftercartError)
        return render(exc, _dialect_of(request))

    async def on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)
        return JSONResponse(oauth_body(exc), status_code=exc.status_code)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        dialect = _dialect_of(request)
        error = validation_error(exc)
        if dialect is Dialect.OAUTH:
            body = {"error": "invalid_request", "error_description": _described(_flatten(error)[0])}
            return JSONResponse(body, status_code=400)
        return render(error, dialect)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error: AftercartError
        if exc.status_code == 404:
            error = NotFound()
        elif exc.status_code == 405:
            error = MethodNotAllowed(allow=allowed_methods(request))
        else:
            code = 5000 if exc.status_code >= 500 else 1001
            error = AftercartError(str(exc.detail), code=code, status_code=exc.status_code)
        return render(error, _dialect_of(request))

    async def on_integrity_error(request: Request, exc: Exception) -> JSONResponse:
        log.warning("integrity error answered as 409: %s", exc)
        return render(Conflict(), _dialect_of(request))

    async def on_operational_error(request: Request, exc: Exception) -> JSONResponse:
        if "locked" in str(exc) or "busy" in str(exc):
            return render(ServiceUnavailable(), _dialect_of(request))
        return await on_unexpected(request, exc)

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # aftercart.bodies refuses NUL in what a request sends, naming the field; this catches
        # text decoded from inside it (a Basic header, say) on PostgreSQL.
        assert isinstance(exc, DBAPIError)
        if getattr(exc.orig, "sqlstate", None) == CHARACTER_NOT_IN_REPERTOIRE:
            return render(InvalidParameter(UNSTORABLE_MESSAGE), _dialect_of(request))
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        error = AftercartError(SERVER_ERROR_MESSAGE, code=5000, status_code=500)
        return render(error, _dialect_of(request))

    app.add_exception_handler(AftercartError, on_domain_error)
    app.add_exception_handler(OAuthError, on_oauth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.add_exception_handler(OperationalError, on_operational_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(_AnswerUnexpected, handler=on_unexpected)


class _AnswerUnexpected:
    """Answers an error no handler took with the 500 envelope, and ends it there.

    Starlette gives the handler of ``Exception`` to its outermost middleware, which answers and
    then re-raises for the server to log; uvicorn then drops the kept-alive connection, and the
    client's next request on it fails too. Added first, this sits inside our other middleware
    and answers the same way without re-raising (the handler logs). An error in our middleware
    still reaches Starlette's.
    """

    def __init__(
        self, app: ASGIApp, *, handler: Callable[[Request, Exception], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except ClientDisconnect:
            return  # gone while its body was read: no one to answer, and nothing went wrong here
        except Exception as exc:
            if started:
                raise
            response = await self.handler(Request(scope), exc)
            await response(scope, receive, send)
