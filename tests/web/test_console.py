"""The sandbox shopper console: its shell over HTTP, and the whole of a shopper's work in Debian's
chromium (sign in, found, replace, refund, add, chat, advance), each step checked against what the
public API says afterwards; axe-core's rules in the page. With ``AFTERCART_WRITE_SCREENSHOTS=1``
the run writes ``docs/screenshots/shopper-console-{desktop,phone}.png``."""

import os

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.web.templating import PAGE_HEADERS, static_url
from tests import factories
from tests.web.console_helpers import (
    arrange_shopping,
    chat,
    items_by_name,
    shopper_state,
)
from tests.web.helpers import REPLACEMENT
from tests.web.test_browser import BLOCKING, SCREENSHOTS, SIZES

Headers = dict[str, str]
Sessions = async_sessionmaker[AsyncSession]
#: How long the page may take to show a change made elsewhere: it polls every second.
POLLED = 2500


# --- The shell ----------------------------------------------------------------------------------


async def test_the_shell_reveals_nothing(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    shopping = await arrange_shopping(http, client_headers, sessions)
    response = await http.get(shopping.console_path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == PAGE_HEADERS["Content-Security-Policy"]
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    for secret in (shopping.placed.order_id, "Whole Milk", "Sam"):
        assert secret not in html
    assert static_url("console.js") in html
    assert static_url("console.css") in html
    assert "<script>" not in html
    assert "style=" not in html


@pytest.mark.parametrize(
    "path", ["/sandbox/shoppers/0", "/sandbox/shoppers/sam", "/sandbox/shoppers/99999999999"]
)
async def test_a_shopper_id_that_names_no_row_is_a_404_page(
    http: httpx.AsyncClient, path: str
) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text


async def test_without_the_sandbox_the_console_is_not_there(database_url: str) -> None:
    settings = Settings(database_url=database_url, sandbox=False, run_worker=False)
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/sandbox/shoppers/1")
    assert response.status_code == 404
    assert "Page not found" in response.text


# --- In the browser -----------------------------------------------------------------------------


async def sign_in(page: Page, creds: IssuedCredentials) -> None:
    await page.get_by_label("Client ID").fill(creds.client_id)
    await page.get_by_label("Client secret").fill(creds.client_secret)
    await page.get_by_role("button", name="Sign in").click()


def line(page: Page, name: str) -> Page:
    return page.locator(".console-line").filter(  # type: ignore[return-value]
        has=page.locator(".console-name", has_text=name)
    )


async def expect_state(page: Page, name: str, text: str, timeout: float = 5000) -> None:
    await expect(line(page, name).locator(".console-state")).to_have_text(text, timeout=timeout)


@pytest.mark.parametrize("size", SIZES)
async def test_a_shopper_works_through_the_console(
    size: str,
    browser: Browser,
    live_url: str,
    live_http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    sessions: Sessions,
) -> None:
    shopping = await arrange_shopping(live_http, client_headers, sessions)
    order_id = shopping.placed.order_id
    viewport, scale = SIZES[size]
    context = await browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = await page.goto(live_url + shopping.console_path)
    assert response is not None
    assert response.status == 200

    # A wrong secret: the form says so, and nothing else shows.
    await page.get_by_label("Client ID").fill(creds.client_id)
    await page.get_by_label("Client secret").fill("not-the-secret")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    await expect(page.locator("#work")).to_be_hidden()

    await sign_in(page, creds)
    batch = f"Batch {shopping.placed.batch_id} · delivery · picking"
    await expect(page.get_by_role("heading", name=batch)).to_be_visible()
    await expect(page.get_by_role("heading", name="Sam · shopper", exact=False)).to_be_visible()
    await expect_state(page, "Whole Milk", "Pending")

    # Found: one of the two.
    await page.get_by_label("Count found of Whole Milk", exact=True).fill("1")
    await page.get_by_role("button", name="Found Whole Milk", exact=True).click()
    await expect_state(page, "Whole Milk", "Partly found (1 of 2)")
    await expect(page.get_by_role("status")).to_have_text("Whole Milk: found 1.")

    # Replace: found by a search of the catalog.
    await page.get_by_role("button", name="Replace… 2% Reduced Fat Milk", exact=True).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Name, UPC or RRC, or a barcode as scanned").fill("oat milk")
    await dialog.get_by_role("button", name="Search").click()
    await dialog.get_by_role("button", name=f"Choose {REPLACEMENT}", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect_state(
        page, "2% Reduced Fat Milk", f"Replaced by {REPLACEMENT} (waiting for the customer)"
    )

    # Replace by typing a barcode, which is sent as a scan (an EAN-13 of a catalog UPC-A).
    butter = shopping.grocery.shop.products[3]
    assert butter.upc is not None
    await page.get_by_role("button", name="Replace… Greek Yogurt", exact=True).click()
    await dialog.get_by_label("Name, UPC or RRC, or a barcode as scanned").fill("0" + butter.upc)
    await dialog.get_by_role("button", name="Search").click()
    await expect(dialog.locator("#product-scan")).to_contain_text("ean13")
    await dialog.get_by_role("button", name="Choose Salted Butter", exact=True).click()
    await expect_state(page, "Greek Yogurt", "Replaced by Salted Butter (waiting for the customer)")

    # Refund.
    await page.get_by_role("button", name="Refund Bananas", exact=True).click()
    await expect_state(page, "Bananas", "Refunded")

    # The customer answers, elsewhere: the page shows it within about a second.
    user = factories.bearer(await factories.user_token(live_http, creds, shopping.placed.user_id))
    decisions = f"/v2/post_checkout/orders/{order_id}/items"
    for line_num, decision in (("2", "APPROVED"), ("3", "REJECTED")):
        answered = await live_http.put(
            f"{decisions}/{line_num}/replacement", json={"status": decision}, headers=user
        )
        assert answered.status_code == 200, answered.text
    await expect_state(
        page, "2% Reduced Fat Milk", f"Replaced by {REPLACEMENT} (approved)", timeout=POLLED
    )
    await expect_state(
        page, "Greek Yogurt", "Refunded (the customer rejected Salted Butter)", timeout=POLLED
    )

    # Chat both ways.
    sent = await live_http.post(
        f"/v2/post_checkout/chat/{order_id}/messages",
        json={"body": "Is there lactose-free milk?"},
        headers=user,
    )
    assert sent.status_code == 200, sent.text
    log = page.get_by_role("log", name=f"Chat of order {order_id}")
    await expect(log).to_contain_text("Is there lactose-free milk?", timeout=POLLED)
    await page.get_by_label(f"Message to the customer of order {order_id}").fill(
        "Yes, I'll grab one"
    )
    await page.get_by_role("button", name="Send").click()
    await expect(log).to_contain_text("Yes, I'll grab one")

    # Add a line the customer did not order.
    await page.get_by_role("button", name=f"Add an item to order {order_id}").click()
    await dialog.get_by_label("Count").fill("1")
    await dialog.get_by_label("Name, UPC or RRC, or a barcode as scanned").fill("whole")
    await dialog.get_by_role("button", name="Search").click()
    await dialog.get_by_role("button", name="Choose Whole Milk", exact=True).click()
    await expect(page.locator(".console-state", has_text="added by the shopper")).to_have_count(1)

    items = await items_by_name(live_http, client_headers, shopping)
    assert (items["Whole Milk"]["shopper_status"], items["Whole Milk"]["delivered_count"]) == (
        "found",
        1,
    )
    replaced = items["2% Reduced Fat Milk"]
    assert (replaced["shopper_status"], replaced["replacement"]["name"]) == (
        "replaced",
        REPLACEMENT,
    )
    assert replaced["replacement_status"] == "APPROVED"
    assert items["Greek Yogurt"]["shopper_status"] == "to_refund"
    assert items["Bananas"]["shopper_status"] == "to_refund"
    assert [m["body"] for m in await chat(live_http, client_headers, shopping)] == [
        "Is there lactose-free milk?",
        "Yes, I'll grab one",
    ]

    await check_accessibility_of_console(page)
    # Laid out for the width: nothing to scroll sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if os.environ.get("AFTERCART_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        await page.screenshot(path=SCREENSHOTS / f"shopper-console-{size}.png", full_page=True)

    # Advance the batch: items can no longer be changed.
    await page.get_by_role("button", name="Advance to verifying_replacements").click()
    later = f"Batch {shopping.placed.batch_id} · delivery · verifying_replacements"
    await expect(page.get_by_role("heading", name=later)).to_be_visible()
    state = await shopper_state(live_http, client_headers, shopping)
    assert state["batches"][0]["workflow_state"] == "verifying_replacements"

    # Nothing from anywhere but Aftercart itself.
    assert all(url.startswith(f"{live_url}/") for url in requested), requested
    await context.close()


async def check_accessibility_of_console(page: Page) -> None:
    """axe-core finds nothing serious or critical, and its contrast and label rules did run."""
    results = await Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, results.generate_report()
    passed = {rule["id"] for rule in results.response["passes"]}
    assert {"color-contrast", "label", "landmark-one-main", "button-name"} <= passed, passed


async def test_a_revoked_token_returns_to_the_sign_in_form(
    browser: Browser,
    live_url: str,
    live_http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    sessions: Sessions,
) -> None:
    shopping = await arrange_shopping(live_http, client_headers, sessions)
    page = await browser.new_page()
    await page.goto(live_url + shopping.console_path)
    await sign_in(page, creds)
    await expect(page.locator(".console-line")).to_have_count(5)
    token = await page.evaluate("sessionStorage.getItem('aftercart.console.token')")
    await factories.revoke(live_http, creds, token)
    await expect(page.get_by_role("alert")).to_have_text(
        "Your session ended. Sign in again.", timeout=POLLED
    )
    await expect(page.get_by_label("Client ID")).to_be_visible()
    await expect(page.locator(".console-line")).to_have_count(0)
    await page.close()
