"""The partner side of Yandex Eats: ``POST /security/oauth/token`` and ``POST /v1/feedback``.

Errors here are in the marketplace dialect (:mod:`aftercart.envelopes`): ``[{"code",
"description"}]``, and ``{"reason"}`` for a 401.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.errors import AftercartError
from aftercart.marketplace import rules, service
from aftercart.marketplace.schemas import FeedbackAccepted, MarketplaceToken

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
    return {key: str(value) for key, value in data.items() if value is not None}


async def _marketplace(request: Request, session: SessionDep) -> service.Marketplace:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    return await service.authenticate(session, token)


Caller = Annotated[service.Marketplace, Depends(_marketplace)]


@router.post("/security/oauth/token", summary="Marketplace token (client credentials)")
async def token(request: Request, session: SessionDep, settings: SettingsDep) -> MarketplaceToken:
    form = await _form(request)
    access_token = await service.issue_token(
        session,
        client_id=form.get("client_id"),
        client_secret=form.get("client_secret"),
        grant_type=form.get("grant_type"),
        scope=form.get("scope"),
        ttl_seconds=settings.token_ttl_seconds,
    )
    return MarketplaceToken(access_token=access_token)


@router.post("/v1/feedback", summary="Receive a customer's feedback (Yandex Eats, seed 003)")
async def feedback(request: Request, caller: Caller, session: SessionDep) -> FeedbackAccepted:
    push = service.parse_push(await request.body())
    await service.receive_feedback(session, marketplace=caller, push=push)
    return FeedbackAccepted()
