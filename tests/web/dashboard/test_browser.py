"""The dashboard in Debian's chromium: logging in through the form with the keyboard, axe-core's
rules on the ratings, webhooks and monitor pages, at a phone's and a desktop's size, and the
monitor following the API live. With ``AFTERCART_WRITE_SCREENSHOTS=1`` the run writes
``docs/screenshots/dashboard-*.png``."""

import os

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize, expect

from aftercart.auth.service import IssuedCredentials
from aftercart.events.webhooks import worker
from tests import factories
from tests.web.dashboard.test_ratings import Sessions, arrange
from tests.web.dashboard.test_webhooks import send_test
from tests.web.test_browser import BLOCKING, SCREENSHOTS, SIZES
from tests.webhooks.helpers import Receiver, sender_for, subscribe


async def check_accessibility(page: Page) -> None:
    results = await Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, results.generate_report()
    passed = {rule["id"] for rule in results.response["passes"]}
    assert {"color-contrast", "landmark-one-main", "label", "svg-img-alt"} & passed >= {
        "color-contrast",
        "landmark-one-main",
    }, passed


async def check_width(page: Page, viewport: ViewportSize) -> None:
    """Laid out for the width: nothing to scroll sideways."""
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


async def arrange_webhooks(sessions: Sessions, client_id: str) -> None:
    subscription = await subscribe(sessions, client_id, url="https://hooks.retailer.example/a")
    for status in (500, 200):
        owed = await send_test(sessions, subscription.id, client_id)
        await worker.send(sessions, owed, sender=sender_for(Receiver(status=status)))


@pytest.mark.parametrize("size", SIZES)
async def test_the_dashboard_in_chromium(
    size: str,
    browser: Browser,
    live_url: str,
    creds: IssuedCredentials,
    sessions: Sessions,
) -> None:
    await arrange(sessions)
    await arrange_webhooks(sessions, creds.client_id)
    viewport, scale = SIZES[size]
    context = await browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # Logged out, the dashboard sends the browser to its login form.
    await page.goto(f"{live_url}/dashboard")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the dashboard")
    await check_accessibility(page)
    # The keyboard: the skip link first, then the form's fields by their labels.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.get_by_label("Client ID").fill(creds.client_id)
    await page.get_by_label("Client secret").fill("not the secret")
    await page.get_by_label("Client secret").press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("do not match")
    await page.get_by_label("Client ID").fill(creds.client_id)
    await page.get_by_label("Client secret").fill(creds.client_secret)
    await page.get_by_label("Client secret").press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Ratings")
    assert page.url == f"{live_url}/dashboard/ratings"
    await expect(page.locator('[data-figure="count"]')).to_have_text("6")
    await expect(page.get_by_role("img", name="Ratings by stars")).to_be_visible()
    await expect(page.get_by_role("img", name="Ratings per day")).to_be_visible()
    await check_accessibility(page)
    await check_width(page, viewport)
    if os.environ.get("AFTERCART_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        await page.screenshot(path=SCREENSHOTS / f"dashboard-{size}.png", full_page=True)

    # A filter through the form.
    await page.get_by_role("combobox", name="Source").select_option("yandex_eats")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.locator('[data-figure="count"]')).to_have_text("2")

    await page.get_by_role("link", name="Webhooks").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    await expect(page.get_by_role("button", name="Redeliver")).to_have_count(2)
    await check_accessibility(page)
    await check_width(page, viewport)
    await page.get_by_role("button", name="Redeliver").first.click()
    await expect(page.get_by_role("status")).to_contain_text("scheduled to be sent again")

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the dashboard")
    assert all(url.startswith(f"{live_url}/") for url in requested), requested
    await context.close()


async def log_in_with_the_form(page: Page, live_url: str, creds: IssuedCredentials) -> None:
    await page.goto(f"{live_url}/dashboard/login")
    await page.get_by_label("Client ID").fill(creds.client_id)
    await page.get_by_label("Client secret").fill(creds.client_secret)
    await page.get_by_label("Client secret").press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ratings")


@pytest.mark.parametrize("size", SIZES)
async def test_the_monitor_follows_the_api_live(
    size: str,
    browser: Browser,
    live_url: str,
    live_http: httpx.AsyncClient,
    creds: IssuedCredentials,
    sessions: Sessions,
) -> None:
    await arrange_webhooks(sessions, creds.client_id)
    headers = factories.bearer(await factories.client_token(live_http, creds))
    products = "/v2/fulfillment_sandbox/products"
    await live_http.get(products, params={"query": "first-zq7"}, headers=headers)
    viewport, scale = SIZES[size]
    context = await browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await log_in_with_the_form(page, live_url, creds)

    await page.get_by_role("link", name="Monitor").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Request monitor")
    lines = page.locator(".dash-request-line")
    await expect(lines.first).to_have_text(f"GET {products}?query=first-zq7")
    await expect(page.get_by_role("row")).to_have_count(3)  # the header and two attempts
    await expect(page.get_by_role("link", name="Refresh")).to_be_hidden()
    await page.locator("summary").first.click()
    await expect(page.get_by_label("Request headers").first).to_contain_text("Bearer ***")
    await check_accessibility(page)
    await check_width(page, viewport)

    # A new request shows up without a reload; what was open stays open.
    await live_http.get(products, params={"query": "live-zq7"}, headers=headers)
    await expect(lines.first).to_have_text(f"GET {products}?query=live-zq7", timeout=8000)
    await expect(page.get_by_role("status")).to_have_text("1 new request.")
    await expect(page.locator("details[open]")).to_have_count(1)
    await expect(page.get_by_label("Request headers").first).to_be_hidden()

    # Paused, it stays as it is; resumed, it catches up.
    await page.get_by_role("button", name="Pause live updates").click()
    await expect(page.get_by_role("button", name="Resume live updates")).to_have_attribute(
        "aria-pressed", "true"
    )
    await live_http.get(products, params={"query": "paused-zq7"}, headers=headers)
    await page.wait_for_timeout(3000)
    await expect(lines.first).to_have_text(f"GET {products}?query=live-zq7")
    await page.get_by_role("button", name="Resume live updates").click()
    await expect(lines.first).to_have_text(f"GET {products}?query=paused-zq7", timeout=8000)
    assert all(url.startswith(f"{live_url}/") for url in requested), requested
    await context.close()
