"""The order status page in a real browser: Debian's chromium at a phone's and a desktop's size,
axe-core's rules run in the page, and the keyboard. With ``AFTERCART_WRITE_SCREENSHOTS=1`` the
run writes the README's screenshots to ``docs/screenshots/``."""

import os
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.web.templating import static_url
from tests.web.helpers import (
    GROCERIES,
    REPLACEMENT,
    arrange_grocery,
    place,
    shop_every_kind,
    start_shopping,
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Each size: the viewport, and the device pixel ratio of its screenshot.
SIZES: dict[str, tuple[ViewportSize, int]] = {
    "phone": ({"width": 375, "height": 812}, 2),
    "desktop": ({"width": 1280, "height": 900}, 1),
}
#: axe-core's impacts that fail the test (``minor`` and ``moderate`` are reported only).
BLOCKING = ("serious", "critical")


async def check_accessibility(page: Page) -> None:
    results = await Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, results.generate_report()
    # The rules did run: contrast and structure among those the page passed.
    passed = {rule["id"] for rule in results.response["passes"]}
    assert {"color-contrast", "landmark-one-main", "list", "definition-list"} <= passed, passed


async def check_keyboard(page: Page) -> None:
    """The first Tab reaches the skip link, drawn with a visible outline; Enter moves to main."""
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    outline = await skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()


async def check_page(page: Page, viewport: ViewportSize) -> None:
    """The steps, the items and the totals of an order being shopped, all visible."""
    await expect(page.get_by_role("heading", level=1)).to_have_text("Shopping in progress")
    steps = page.get_by_role("list", name="Order progress").get_by_role("listitem")
    await expect(steps).to_have_count(6)
    current = page.locator('[aria-current="step"]')
    await expect(current).to_have_count(1)
    await expect(current).to_contain_text("Shopping in progress")
    await expect(current).to_be_visible()
    for name in GROCERIES:
        await expect(page.get_by_text(name, exact=True)).to_be_visible()
    await expect(page.locator(".item .badge")).to_have_text(
        ["Found", "Partly found", "Replaced", "Refunded", "Not shopped yet"]
    )
    await expect(page.get_by_text(f"Replaced by {REPLACEMENT}")).to_be_visible()
    await expect(page.locator(".totals dt")).to_have_text(
        ["To be charged", "Refunded", "Not shopped yet"]
    )
    await expect(page.locator(".totals dd")).to_have_text(["5 items", "3 items", "2 items"])
    await expect(page.get_by_text("Sam", exact=True)).to_be_visible()
    # Laid out for the width: nothing to scroll sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("size", SIZES)
async def test_the_order_status_page_in_chromium(
    size: str,
    browser: Browser,
    live_url: str,
    live_http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    grocery = await arrange_grocery(sessions)
    placed = await place(live_http, client_headers, grocery, "order-1042")
    placed = await start_shopping(live_http, client_headers, placed)
    await shop_every_kind(live_http, client_headers, placed, grocery)
    assert placed.order_url.startswith(f"{live_url}/orders/order-1042/status?token=")

    viewport, scale = SIZES[size]
    context = await browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = await page.goto(placed.order_url)
    assert response is not None
    assert response.status == 200
    await check_page(page, viewport)
    await check_accessibility(page)
    await check_keyboard(page)
    # The page and its stylesheet, and nothing from anywhere but Aftercart itself.
    assert requested[:2] == [placed.order_url, f"{live_url}{static_url('aftercart.css')}"]
    assert all(url.startswith(f"{live_url}/") for url in requested), requested

    if os.environ.get("AFTERCART_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        await page.screenshot(path=SCREENSHOTS / f"order-status-{size}.png", full_page=True)
    await context.close()
