"""Times a shopper's item update until the customer's order status page shows it, in chromium.

    .venv/bin/python -m bench.page_latency [--rounds 30] [--postgres SERVER_URL]

One ``aftercart serve`` process on 127.0.0.1 and, in this process, Debian's ``chromium`` (through
Playwright) on the order's status page, and beside it the reference: a plain SSE client of the
same order's event stream (httpx). Each round the sandbox shopper changes line 1 between found
and partly found (``PUT /v2/fulfillment_sandbox/shoppers/{id}/orders/{order_id}/items/1``). The
page's latency is from just before that request to the moment its first item's badge shows the
new state (a MutationObserver in the page notes it); the reference's is to the moment the SSE
client reads the event's ``id:`` line. The page pays for the stream, and then for reading itself
again and swapping the changed parts in: the ratio of the two says what that costs.
Both clocks are the machine's wall clock (``Date.now()`` and ``time.time()``), in milliseconds.
"""

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright
from tests import factories
from tests.stream.processes import scratch_database, serving_process, until_healthy
from tests.web.helpers import Grocery, Placed, arrange_grocery, place, start_shopping

from aftercart.auth.service import IssuedCredentials, create_client
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade

PAUSE_SECONDS = 0.3
WAIT_SECONDS = 10.0
GOAL_MS = 1000.0
#: Notes, in the page, every change of the first item's badge with the time it was seen.
OBSERVER = """() => {
  window.badgeChanges = [];
  const first = () => document.querySelector('.item .badge');
  new MutationObserver(() => {
    const badge = first();
    window.badgeChanges.push([Date.now(), badge ? badge.textContent.trim() : null]);
  }).observe(document.getElementById('order'),
             {subtree: true, childList: true, characterData: true});
}"""


async def arrange(database_url: str) -> tuple[IssuedCredentials, Grocery]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        grocery = await arrange_grocery(sessions)
        async with sessions() as session:
            creds = await create_client(session, name="Bench")
            await session.commit()
        return creds, grocery
    finally:
        await engine.dispose()


class StreamReader:
    """The reference: a plain SSE client that notes when each event id arrives."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.open = asyncio.Event()

    async def read(self, http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        async with http.stream("GET", url, headers=headers, timeout=None) as response:
            async for line in response.aiter_lines():
                self.open.set()
                if line.startswith("id:"):
                    self.arrivals.append(time.time() * 1000)


async def first_change(page: Page, since: float, text: str) -> float:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        changes = await page.evaluate("window.badgeChanges")
        seen = [at for at, badge in changes if at >= since and badge == text]
        if seen:
            return float(seen[0])
        await asyncio.sleep(0.01)
    raise TimeoutError(f"the page did not show {text!r}")


async def rounds(base_url: str, creds: IssuedCredentials, grocery: Grocery, count: int) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30, trust_env=False) as http:
        await until_healthy(http)
        headers = factories.bearer(await factories.client_token(http, creds))
        placed: Placed = await start_shopping(
            http, headers, await place(http, headers, grocery, "bench-page")
        )
        user = factories.bearer(await factories.user_token(http, creds, placed.user_id))
        reference = StreamReader()
        events = f"/v2/post_checkout/orders/{placed.order_id}/events"
        reader = asyncio.create_task(reference.read(http, events, user))
        await asyncio.wait_for(reference.open.wait(), WAIT_SECONDS)
        shopper = f"/v2/fulfillment_sandbox/shoppers/{placed.shopper_id}"
        item = f"{shopper}/orders/{placed.order_id}/items/1"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=shutil.which("chromium"), headless=True
            )
            page = await browser.new_page()
            await page.goto(placed.order_url)
            await page.locator("#live-note").wait_for(state="visible")
            await page.evaluate(OBSERVER)
            page_ms: list[float] = []
            stream_ms: list[float] = []
            for number in range(count):
                found = 1 if number % 2 == 0 else 2
                expected = "Partly found" if found == 1 else "Found"
                heard = len(reference.arrivals)
                started = time.time() * 1000
                response = await http.put(
                    item, json={"status": "found", "delivered_count": found}, headers=headers
                )
                response.raise_for_status()
                page_ms.append(await first_change(page, started, expected) - started)
                while len(reference.arrivals) <= heard:
                    await asyncio.sleep(0.005)
                stream_ms.append(reference.arrivals[heard] - started)
                await asyncio.sleep(PAUSE_SECONDS)
            await browser.close()
        reader.cancel()
    report(page_ms, stream_ms)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.1f} {p95:8.1f} {ordered[-1]:8.1f}"


def report(page_ms: list[float], stream_ms: list[float]) -> None:
    print(f"{'ms from the update request':<34} {'median':>8} {'p95':>8} {'max':>8}")
    print(f"{'reference: SSE client, event id':<34} {summary(stream_ms)}")
    print(f"{'status page in chromium, shown':<34} {summary(page_ms)}")
    ratio = statistics.median(page_ms) / statistics.median(stream_ms)
    within = sum(ms <= GOAL_MS for ms in page_ms)
    print(f"page / reference (medians): {ratio:.2f}×")
    print(f"shown within {GOAL_MS:.0f} ms: {within} of {len(page_ms)} rounds")


async def main(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with scratch_database(Path(folder), arguments.postgres) as url:
            creds, grocery = await arrange(url)
            with (
                open(Path(folder) / "server.log", "wb") as log,
                serving_process(url, log) as (_process, base_url),
            ):
                await rounds(base_url, creds, grocery, arguments.rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; default: a SQLite file")
    asyncio.run(main(parser.parse_args()))
