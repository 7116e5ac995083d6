"""The dashboard's session and its CSRF tokens.

**Session.** Logging in issues an ordinary client-credentials access token (the token endpoint's
own service functions), kept in the ``aftercart_dashboard`` cookie: HttpOnly, SameSite=Strict,
Path=/dashboard, Secure over https. Every request resolves it with
:func:`aftercart.auth.service.resolve_token`, the API's live-token check, straight from the
database: a revoked or expired token logs the user out at once. Logging out revokes the token.

**CSRF.** Every form posted while logged in carries ``csrf`` = HMAC-SHA256, under the
``dashboard_csrf`` server secret, of the session token's digest. SameSite=Strict already keeps
the cookie off cross-site requests; the token is the second lock, and it dies with the session.

**Login CSRF.** The login form has no session yet, so it uses a signed double submit: showing the
form sets a random ``aftercart_dashboard_login`` cookie (same flags) and puts HMAC-SHA256 of
``login:`` + that value in the form. A login posted without the matching pair (a form on another
site cannot read or set the cookie) is refused with 403 before the credentials are looked at.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth import scopes as sc
from aftercart.auth.secrets import digest
from aftercart.auth.service import TokenContext, resolve_token
from aftercart.sandbox.clock_scope import enter_tenant

PATH: Final = "/dashboard"
SESSION_COOKIE: Final = "aftercart_dashboard"
LOGIN_COOKIE: Final = "aftercart_dashboard_login"
#: The name of the server secret (``server_secrets``) that signs the CSRF tokens.
SECRET_NAME: Final = "dashboard_csrf"
#: What the dashboard's token may do: what the pages read through the API's services.
SCOPES: Final = f"{sc.FULFILLMENT} {sc.RATING}"


def csrf_secret(request: Request) -> bytes:
    secret: bytes = request.app.state.dashboard_csrf_secret
    return secret


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def session_csrf(secret: bytes, token: str) -> str:
    """The CSRF token of a session: bound to the session's token through its digest."""
    return _sign(secret, digest(token))


def login_csrf(secret: bytes, nonce: str) -> str:
    return _sign(secret, f"login:{nonce}")


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Session:
    """A logged-in client: its token's context, and the CSRF token of its forms."""

    token: str
    context: TokenContext
    csrf: str

    @property
    def client_id(self) -> str:
        return self.context.client_id

    def csrf_ok(self, given: str | None) -> bool:
        return _same(given, self.csrf)


async def current_session(request: Request, session: AsyncSession) -> Session | None:
    """The cookie's token if it is a live client-credentials token with the dashboard's scopes;
    ``None`` (logged out) otherwise."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    live = await resolve_token(session, token)
    if live is None:
        return None
    context = live.context
    if (
        context.grant_type != sc.CLIENT_CREDENTIALS
        or context.user_id is not None
        or not set(SCOPES.split()) <= context.scopes
    ):
        return None
    await enter_tenant(session, context.tenant_id)
    return Session(token, context, session_csrf(csrf_secret(request), token))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    forget_login(response, request)


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=PATH, secure=_secure(request), httponly=True, samesite="strict"
    )


def start_login(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, nonce, path=PATH, secure=_secure(request), httponly=True, samesite="strict"
    )


def forget_login(response: Response, request: Request) -> None:
    response.delete_cookie(
        LOGIN_COOKIE, path=PATH, secure=_secure(request), httponly=True, samesite="strict"
    )


def login_nonce(request: Request) -> str:
    """The login cookie's value, or a new one (the caller sets it with :func:`start_login`)."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def login_csrf_ok(request: Request, given: str | None) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE)
    return bool(nonce) and _same(given, login_csrf(csrf_secret(request), nonce or ""))
