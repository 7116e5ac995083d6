"""The hosted order status page that ``order_url`` links to, and the retailer's brand assets
it shows.

Public: the signed token in the link is the only credential, and a wrong one answers the same
404 as an unknown order (so the page tells nobody which order ids exist); a right one past its
lifetime (7 days after the order ended) answers 410. Kept out of the OpenAPI document: these are
pages and files for the customer's browser, not part of the API.
"""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from aftercart import clock
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.fulfillment.order_links import OrderLinksDep
from aftercart.fulfillment.status_tokens import expired
from aftercart.models import ApiClient
from aftercart.sandbox.clock_scope import enter_tenant
from aftercart.web import brand
from aftercart.web.service import read_order_page
from aftercart.web.templating import page

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

#: Brand assets change only through the CLI; browsers check again before using a stored copy.
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@router.get("/orders/{order_id:path}/status", response_class=HTMLResponse)
async def order_status_page(
    order_id: str,
    session: SessionDep,
    links: OrderLinksDep,
    settings: SettingsDep,
    token: Annotated[str, Query(description="The signature from order_url.")] = "",
    find: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    tenant_id = links.verify(order_id, token)
    if tenant_id is None:
        return page("not_found.html", status_code=404)
    await enter_tenant(session, tenant_id)
    loaded = await read_order_page(
        session, order_id, show_shopper=not settings.remove_shopper_information, find=find
    )
    if loaded is None:
        return page("not_found.html", status_code=404)
    if expired(loaded.ended, clock.now()):
        return page("link_expired.html", status_code=410)
    return page("order_status.html", order=loaded.page, link_token=token)


@router.get("/brands/{client_id}/brand.css")
async def brand_stylesheet(client_id: str, session: SessionDep) -> Response:
    colour = await session.scalar(
        select(ApiClient.brand_colour).where(ApiClient.client_id == client_id)
    )
    if colour is None:
        return Response(status_code=404)
    return Response(brand.stylesheet(colour), media_type="text/css", headers=ASSET_HEADERS)


@router.get("/brands/{client_id}/logo")
async def brand_logo(client_id: str, request: Request, session: SessionDep) -> Response:
    row = (
        await session.execute(
            select(ApiClient.brand_logo, ApiClient.brand_logo_type).where(
                ApiClient.client_id == client_id
            )
        )
    ).one_or_none()
    if row is None or row.brand_logo is None or row.brand_logo_type is None:
        return Response(status_code=404)
    etag = f'"{hashlib.sha256(row.brand_logo).hexdigest()[:32]}"'
    headers = {**ASSET_HEADERS, "ETag": etag, "Content-Security-Policy": "default-src 'none'"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(row.brand_logo, media_type=row.brand_logo_type, headers=headers)
