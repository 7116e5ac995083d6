"""``POST /v2/oauth/token`` and ``/v2/oauth/token/revoke``, as Instacart Connect's
authentication pages describe them."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aftercart.auth import scopes as sc
from aftercart.auth import service
from aftercart.auth.deps import basic_credentials
from aftercart.auth.order_link import issue_order_link_token
from aftercart.auth.schemas import RevokeRequest, TokenRequest, TokenResponse
from aftercart.config import SettingsDep
from aftercart.db import aftercommit
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.db.types import utcnow
from aftercart.errors import OAuthError
from aftercart.limits.deps import token_attempt
from aftercart.linking.codes import CodeReused
from aftercart.openapi import FORM, JSON, errors, hand_read_body

router = APIRouter(prefix="/v2/oauth", tags=["auth"], route_class=TransactionalRoute)

CREDENTIAL_FIELDS = (
    "client_id",
    "client_secret",
    "assertion",
    "token",
    "code",
    "code_verifier",
    "order_token",
)


async def read_oauth_body(request: Request) -> dict[str, str]:
    """Reads a JSON or form-encoded body; credentials in the query string are refused (403)."""
    if any(field in request.query_params for field in CREDENTIAL_FIELDS):
        raise OAuthError(
            403, "query_params_forbidden", "Credentials must be sent in the request body"
        )
    content_type = request.headers.get("content-type", "")
    data: Any
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        data = dict(await request.form())
    else:
        raw = await request.body()
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise OAuthError(400, "invalid_request", "The body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise OAuthError(400, "invalid_request", "The body must be a JSON object")
    fields = {k: v if isinstance(v, str) else str(v) for k, v in data.items() if v is not None}
    return {**basic_credentials(request), **fields}


@router.post(
    "/token",
    summary="Get an access token",
    response_model=TokenResponse,
    responses=errors(401, 403, 429),
    openapi_extra={"requestBody": hand_read_body(TokenRequest, JSON, FORM)},
)
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    body = await read_oauth_body(request)
    attempt = await token_attempt(request, body.get("client_id"))
    if not body.get("grant_type"):
        raise OAuthError(400, "invalid_request", "grant_type can't be blank")
    if body["grant_type"] == sc.ORDER_LINK:
        try:
            issued = await issue_order_link_token(
                session,
                order_id=body.get("order_id"),
                order_token=body.get("order_token"),
                secret=request.app.state.order_url_secret,
                now=utcnow(),
            )
        except OAuthError:
            await attempt.failed()
            raise
        return _token_answer(issued)
    client = await service.authenticate_client(
        session, body.get("client_id"), body.get("client_secret"), kind="connect"
    )
    if client is None:
        await attempt.failed()
        raise OAuthError(401, "invalid_client", "Client authentication failed")
    try:
        issued = await service.issue_token(
            session,
            client=client,
            grant_type=body["grant_type"],
            scope=body.get("scope"),
            assertion=body.get("assertion"),
            code=body.get("code"),
            redirect_uri=body.get("redirect_uri"),
            code_verifier=body.get("code_verifier"),
            ttl_seconds=settings.token_ttl_seconds,
            max_live_tokens=settings.max_tokens_per_client,
        )
    except CodeReused:
        # The one error answer whose change must stand: the revocation of the token the reused
        # code gave. The request's transaction rolls back on any error, so commit it here.
        await session.commit()
        aftercommit.committed(session)
        raise
    return _token_answer(issued)


def _token_answer(issued: service.IssuedToken) -> JSONResponse:
    return JSONResponse(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
            "created_at": int(issued.created_at.timestamp()),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post(
    "/token/revoke",
    summary="Revoke an access token",
    responses=errors(401, 403, 429),
    openapi_extra={"requestBody": hand_read_body(RevokeRequest, JSON, FORM)},
)
async def revoke(request: Request, session: SessionDep) -> dict[str, Any]:
    body = await read_oauth_body(request)
    attempt = await token_attempt(request, body.get("client_id"))
    client = await service.authenticate_client(
        session, body.get("client_id"), body.get("client_secret"), kind="connect"
    )
    if client is None:
        await attempt.failed()
        raise OAuthError(401, "invalid_client", "Client authentication failed")
    if not body.get("token"):
        raise OAuthError(400, "invalid_request", "token can't be blank")
    await service.revoke_token(session, client=client, token=body["token"])
    return {}
