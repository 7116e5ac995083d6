"""The partner side of Yandex Eats: ``POST /security/oauth/token`` and ``POST /v1/feedback``.

Errors here are in the marketplace dialect (:mod:`aftercart.envelopes`): ``[{"code",
"description"}]``, and ``{"reason"}`` for a 401. The rate limits are Connect's: the token
limits at the token endpoint, the per-client API limit on a marketplace token.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from aftercart.auth.deps import basic_credentials
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.errors import AftercartError
from aftercart.limits.deps import limits_of, token_attempt
from aftercart.marketplace import rules, service
from aftercart.marketplace.schemas import (
    FeedbackAccepted,
    FeedbackPush,
    MarketplaceToken,
    MarketplaceTokenRequest,
)
from aftercart.openapi import FORM, JSON, MARKETPLACE_SECURITY, errors, hand_read_body

router = APIRouter(prefix="", tags=["marketplace"], route_class=TransactionalRoute)


async def _form(request: Request) -> dict[str, str]:
    """The token request: form-encoded as Yandex sends it (a JSON object is read too)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data: Any = json.loads(await request.body())
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AftercartError("The body must be a JSON object", code=rules.INVALID_BODY)
    else:
        data = dict(await request.form())
    fields = {key: str(value) for key, value in data.items() if value is not None}
    return {**basic_credentials(request), **fields}


async def _marketplace(request: Request, session: SessionDep) -> service.Marketplace:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    marketplace = await service.authenticate(session, token)
    limits_of(request).api_request(marketplace.client_id)
    return marketplace


Caller = Annotated[service.Marketplace, Depends(_marketplace)]


@router.post(
    "/security/oauth/token",
    summary="Marketplace token (client credentials)",
    responses=errors(429),
    openapi_extra={"requestBody": hand_read_body(MarketplaceTokenRequest, FORM, JSON)},
)
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> MarketplaceToken:
    form = await _form(request)
    attempt = await token_attempt(request, form.get("client_id"))
    try:
        access_token = await service.issue_token(
            session,
            client_id=form.get("client_id"),
            client_secret=form.get("client_secret"),
            grant_type=form.get("grant_type"),
            scope=form.get("scope"),
            ttl_seconds=settings.token_ttl_seconds,
        )
    except service.InvalidClient:
        await attempt.failed()
        raise
    return MarketplaceToken(access_token=access_token)


@router.post(
    "/v1/feedback",
    summary="Receive a customer's feedback (Yandex Eats)",
    responses=errors(429),
    openapi_extra={"requestBody": hand_read_body(FeedbackPush), "security": MARKETPLACE_SECURITY},
)
async def feedback(request: Request, caller: Caller, session: SessionDep) -> FeedbackAccepted:
    push = service.parse_push(await request.body())
    await service.receive_feedback(session, marketplace=caller, push=push)
    return FeedbackAccepted()
