"""``POST /v2/oauth/token`` and ``/v2/oauth/token/revoke`` (reference §2)."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aftercart.auth import service
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.errors import OAuthError

router = APIRouter(prefix="/v2/oauth", tags=["auth"], route_class=TransactionalRoute)

CREDENTIAL_FIELDS = ("client_id", "client_secret", "assertion", "token")


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
    return {k: v if isinstance(v, str) else str(v) for k, v in data.items() if v is not None}


@router.post("/token", summary="Get an access token")
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    body = await read_oauth_body(request)
    if not body.get("grant_type"):
        raise OAuthError(400, "invalid_request", "grant_type can't be blank")
    client = await service.authenticate_client(
        session, body.get("client_id"), body.get("client_secret"), kind="connect"
    )
    if client is None:
        raise OAuthError(401, "invalid_client", "Client authentication failed")
    issued = await service.issue_token(
        session,
        client=client,
        grant_type=body["grant_type"],
        scope=body.get("scope"),
        assertion=body.get("assertion"),
        ttl_seconds=settings.token_ttl_seconds,
    )
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


@router.post("/token/revoke", summary="Revoke an access token")
async def revoke(request: Request, session: SessionDep) -> dict[str, Any]:
    body = await read_oauth_body(request)
    client = await service.authenticate_client(
        session, body.get("client_id"), body.get("client_secret"), kind="connect"
    )
    if client is None:
        raise OAuthError(401, "invalid_client", "Client authentication failed")
    if not body.get("token"):
        raise OAuthError(400, "invalid_request", "token can't be blank")
    await service.revoke_token(session, client=client, token=body["token"])
    return {}
