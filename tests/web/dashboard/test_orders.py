"""Orders in flight: the client's orders not delivered or canceled, each linking its status page."""

import html
import re

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.fulfillment.order_links import OrderLinks
from aftercart.models import Shopper
from tests import factories
from tests.web.dashboard.helpers import log_in

Sessions = async_sessionmaker[AsyncSession]


async def test_only_the_tenants_unfinished_orders_are_listed(
    app: FastAPI, http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    sibling = await factories.make_api_client(sessions, "Retailer's frontend")
    other = await factories.make_api_client(sessions, "Other retailer", tenant_id=None)
    async with sessions() as session:
        user = await factories.insert_user(session)
        stranger = await factories.insert_user(session, tenant_id=other.tenant_id)
        store = await factories.insert_store(session, name="Mission Market")
        product = await factories.insert_product(session)
        shopper = await factories.added(session, Shopper(tenant_id=1, first_name="Sam"))
        states = {
            "new": ("brand_new", creds.client_id, None),
            "picking": ("picking", sibling.client_id, shopper.id),
            "staged": ("staged", creds.client_id, shopper.id),
            "delivered": ("completed", creds.client_id, shopper.id),
            "canceled": ("canceled", creds.client_id, None),
            "theirs": ("picking", other.client_id, None),
        }
        for order_id, (state, client_id, shopper_id) in states.items():
            await factories.insert_order(
                session,
                user=stranger if order_id == "theirs" else user,
                store=store,
                products=[product],
                order_id=order_id,
                workflow_state=state,
                client_id=client_id,
                shopper_id=shopper_id,
            )
        await session.commit()
    await log_in(http, creds)
    page = (await http.get("/dashboard/orders")).text

    assert re.findall(r'data-order-id="([^"]+)"', page) == ["new", "picking", "staged"]
    rows = dict(re.findall(r'data-order-id="([^"]+)">(.*?)</tr>', page, re.S))
    assert "Picking" in rows["picking"]
    assert "Sam" in rows["picking"]
    assert "Not assigned" in rows["new"]
    assert "Staging" in rows["staged"]
    assert all("Mission Market" in row for row in rows.values())

    # Each order links its status page, signed as the API's order_url is.
    links = [httpx.URL(html.unescape(u)) for u in re.findall(r'<a href="(http[^"]+)"', page)]
    assert [link.path for link in links] == [
        f"/orders/{order_id}/status" for order_id in ("new", "picking", "staged")
    ]
    signer = OrderLinks("http://testserver/", app.state.order_url_secret)
    for link, order_id in zip(links, ("new", "picking", "staged"), strict=True):
        assert str(link) == signer.url(1, order_id)
        assert signer.verify(order_id, link.params["token"]) == 1


async def test_no_orders(http: httpx.AsyncClient, creds: IssuedCredentials) -> None:
    await log_in(http, creds)
    assert "No orders in flight." in (await http.get("/dashboard/orders")).text
