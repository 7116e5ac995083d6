"""The pages together, in chromium: the shopper console and the customer's order page side by
side, then the retailer's dashboard. The shopper replaces an item; the customer sees it without a
reload and approves; the console sees the approval; they chat both ways; the shopper's dot moves
on the map while delivering; the customer rates the order, and the dashboard shows the rating.
Every step goes through the public API the pages call."""

import asyncio

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from tests.conftest import suite_settings
from tests.web.console_helpers import arrange_shopping
from tests.web.helpers import REPLACEMENT
from tests.web.test_browser import SIZES
from tests.web.test_console import expect_state, sign_in

Sessions = async_sessionmaker[AsyncSession]
#: Generous for a loaded machine: the latency itself is measured by ``bench.page_latency``.
SHOWS = 10_000


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The sandbox moves a delivering shopper every 0.3 s."""
    return suite_settings(database_url, shopper_move_seconds=0.3)


async def new_page(browser: Browser) -> Page:
    viewport, scale = SIZES["desktop"]
    context = await browser.new_context(viewport=viewport, device_scale_factor=scale)
    return await context.new_page()


async def advance_to(console: Page, state: str) -> None:
    """Advances the batch one state at a time until it is in ``state``."""
    for _ in range(10):
        button = console.get_by_role("button", name="Advance to ", exact=False)
        name = await button.inner_text()
        await button.click()
        if name.endswith(state):
            return
        await expect(console.get_by_role("button", name=name)).to_have_count(0)
    raise AssertionError(f"the batch never reached {state}")


async def test_shopper_customer_and_retailer_pages_together(
    browser: Browser,
    live_url: str,
    live_http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
    sessions: Sessions,
) -> None:
    shopping = await arrange_shopping(live_http, client_headers, sessions, "order-3001")
    console, customer = await new_page(browser), await new_page(browser)
    await console.goto(live_url + shopping.console_path)
    await sign_in(console, creds)
    await customer.goto(shopping.placed.order_url)
    await expect(customer.locator("#live-note")).to_be_visible()

    # The shopper replaces an item; the customer sees it and approves; the console sees that.
    await console.get_by_role("button", name="Replace… Greek Yogurt", exact=True).click()
    dialog = console.get_by_role("dialog")
    await dialog.get_by_label("Name, UPC or RRC, or a barcode as scanned").fill("oat milk")
    await dialog.get_by_role("button", name="Search").click()
    await dialog.get_by_role("button", name=f"Choose {REPLACEMENT}", exact=True).click()
    approve = customer.get_by_role("button", name=f"Approve {REPLACEMENT}")
    await expect(approve).to_be_visible(timeout=SHOWS)
    await approve.click()
    await expect_state(console, "Greek Yogurt", f"Replaced by {REPLACEMENT} (approved)", SHOWS)

    # Chat, both ways.
    await customer.get_by_label("Your message").fill("Thanks for checking!")
    await customer.get_by_role("button", name="Send").click()
    console_log = console.get_by_role("log", name="Chat of order order-3001")
    await expect(console_log).to_contain_text("Thanks for checking!", timeout=SHOWS)
    await console.get_by_label("Message to the customer of order order-3001").fill("On my way")
    await console.get_by_role("button", name="Send").click()
    customer_log = customer.get_by_role("list", name="Messages")
    await expect(customer_log).to_contain_text("On my way", timeout=SHOWS)

    # Delivering: the shopper's dot moves on the customer's map.
    for name in ("Whole Milk", "2% Reduced Fat Milk", "Salted Butter", "Bananas"):
        await console.get_by_role("button", name=f"Found {name}", exact=True).click()
        await expect_state(console, name, "Found")
    await advance_to(console, "delivering")
    dot = customer.locator("#map-shopper")
    await expect(dot).to_be_visible(timeout=SHOWS)
    first = await dot.get_attribute("cx"), await dot.get_attribute("cy")
    for _ in range(100):
        await asyncio.sleep(0.1)
        if (await dot.get_attribute("cx"), await dot.get_attribute("cy")) != first:
            break
    else:
        raise AssertionError("the shopper's dot did not move")

    # Delivered: the customer rates the order.
    await advance_to(console, "completed")
    await expect(customer.get_by_role("heading", name="Rate your order")).to_be_visible(
        timeout=SHOWS
    )
    await customer.get_by_label("4 stars").check()
    await customer.get_by_label("Good replacements").check()
    await customer.get_by_label("A thank-you note (optional)").fill("Great swap, thank you!")
    await customer.get_by_role("button", name="Send rating").click()
    await expect(customer.get_by_role("status").filter(has_text="rating was sent")).to_be_visible()

    # The retailer's dashboard shows it.
    dashboard = await new_page(browser)
    await dashboard.goto(f"{live_url}/dashboard")
    await dashboard.get_by_label("Client ID").fill(creds.client_id)
    await dashboard.get_by_label("Client secret").fill(creds.client_secret)
    await dashboard.get_by_role("button", name="Log in").click()
    await expect(dashboard.get_by_text("Great swap, thank you!")).to_be_visible()
