"""The ratings page: its figures and charts, its filters, the comments' pages and the CSV."""

import csv
import html
import io
import re
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.feedback.export import COLUMNS
from tests import factories
from tests.feedback.helpers import insert_rating
from tests.web.dashboard.helpers import log_in

Sessions = async_sessionmaker[AsyncSession]
#: Noon, ten UTC days ago: every rating below falls on the UTC day it names.
DAY0 = datetime.combine(datetime.now(UTC).date() - timedelta(days=10), time(12), tzinfo=UTC)
#: (day, source, store, shopper, stars, highlights, words)
ROWS = (
    (0, "connect", "s1", 7, 5, ["QUALITY_ITEMS", "SMOOTH_DELIVERY"], "Thanks, Sam!"),
    (0, "connect", "s1", 8, 3, ["QUALITY_ITEMS"], None),
    (1, "connect", "s2", 7, 1, [], None),
    (3, "yandex_eats", "s2", None, 4, [], "Warm and fast"),
    (3, "yandex_eats", None, None, 2, [], "Cold fries"),
    (5, "connect", "s2", 8, 5, ["HELPFUL_CHAT"], None),
)


def day(n: int) -> str:
    return (DAY0 + timedelta(days=n)).date().isoformat()


async def arrange(sessions: Sessions) -> list[int]:
    ids = []
    async with sessions() as session:
        await factories.insert_store(session, location_code="s1", name="Mission Market")
        await factories.insert_store(session, location_code="s2", name="Castro Corner")
        for n, source, store, shopper, stars, highlights, words in ROWS:
            connect = source == "connect"
            row = await insert_rating(
                session,
                source=source,
                location_code=store,
                shopper_id=shopper,
                rating=stars,
                rating_value=f"STARS{stars}" if connect else None,
                highlights=highlights,
                thank_you_note=words if connect else None,
                comment=None if connect else words,
                created_at=DAY0 + timedelta(days=n),
            )
            ids.append(row.id)
        await session.commit()
    return ids


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found is not None
    return found.group(1)


def stars_bars(page: str) -> dict[int, int]:
    return {
        int(stars): int(value)
        for stars, value in re.findall(r'data-stars="(\d)" data-value="(\d+)"', page)
    }


def day_bars(page: str) -> list[tuple[str, int, float]]:
    """(day, value, height) of each bar of the per-day chart."""
    bars = re.findall(
        r'height="([\d.]+)" data-day="([\d-]+)" data-value="(\d+)"><title>\2: \3</title>', page
    )
    return [(d, int(value), float(height)) for height, d, value in bars]


def rating_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-rating-id="(\d+)"', page)]


async def test_the_figures_and_the_charts_say_the_same_numbers(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    ids = await arrange(sessions)
    await log_in(http, creds)
    page = (await http.get("/dashboard/ratings")).text

    assert figure(page, "count") == "6"
    assert figure(page, "average") == "3.3 of 5"
    assert stars_bars(page) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}
    # The chart's accessible name carries every figure.
    assert (
        "Ratings by stars: 1 star 1 (17%), 2 stars 1 (17%), 3 stars 1 (17%), "
        "4 stars 1 (17%), 5 stars 2 (33%)."
    ) in page
    assert re.search(r'<svg class="chart chart-stars"[^>]*role="img"', page)

    # One bar per day from the first rating's day to the last's, scaled to the busiest (2).
    bars = day_bars(page)
    assert [(d, v) for d, v, _ in bars] == [(day(n), c) for n, c in enumerate([2, 1, 0, 2, 0, 1])]
    full = bars[0][2]
    assert full > 0
    assert [h for _, _, h in bars] == [full, full / 2, 0.0, full, 0.0, full / 2]
    assert f'<title id="per-day-title">Ratings per day, {day(0)} to {day(5)}</title>' in page
    assert "6 ratings over 6 days; the most in one day was 2." in page
    assert f'<th scope="row">{day(3)}</th><td>2</td><td>3.0 of 5</td>' in page

    for name, count in (("QUALITY_ITEMS", 2), ("SMOOTH_DELIVERY", 1), ("HELPFUL_CHAT", 1)):
        assert f'data-highlight="{name}">{count}<' in page
    assert 'data-highlight="EASY_PARKING">0<' in page

    # The breakdowns, with store names, and the comments newest first.
    assert "Mission Market" in page
    assert "Castro Corner" in page
    assert "Yandex Eats" in page
    assert rating_ids(page) == ids[::-1]
    for words in ("Thanks, Sam!", "Warm and fast", "Cold fries"):
        assert words in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"source": "yandex_eats"}, [4, 3]),
        ({"source": "connect"}, [5, 2, 1, 0]),
        ({"store": "s2"}, [5, 3, 2]),
        ({"shopper": "7"}, [2, 0]),
        ({"source": "connect", "store": "s1", "shopper": "8"}, [1]),
        ({"since": day(1), "until": day(3)}, [4, 3, 2]),
        ({"since": day(4)}, [5]),
        ({"until": day(0)}, [1, 0]),
    ],
)
async def test_filters(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    sessions: Sessions,
    query: dict[str, str],
    expected: list[int],
) -> None:
    ids = await arrange(sessions)
    await log_in(http, creds)
    page = (await http.get("/dashboard/ratings", params=query)).text
    assert rating_ids(page) == [ids[i] for i in expected]
    assert figure(page, "count") == str(len(expected))
    assert sum(stars_bars(page).values()) == len(expected)
    # The form shows the filters it applied, and the CSV link keeps them.
    for name, value in query.items():
        assert re.search(rf'name="{name}"[^>]*value="{value}"', page) or (
            f'<option value="{value}" selected>' in page
        )
    link = html.unescape(re.findall(r'href="(/dashboard/ratings\.csv[^"]*)"', page)[0])
    assert httpx.URL(link).params == httpx.QueryParams(query)


async def test_a_date_range_draws_every_day_of_it(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    await arrange(sessions)
    await log_in(http, creds)
    page = (await http.get("/dashboard/ratings", params={"since": day(1), "until": day(4)})).text
    assert [(d, v) for d, v, _ in day_bars(page)] == [
        (day(1), 1),
        (day(2), 0),
        (day(3), 2),
        (day(4), 0),
    ]


async def test_filters_that_do_not_parse_are_shown_not_crashed(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    await arrange(sessions)
    await log_in(http, creds)
    query = {"shopper": "seven", "since": "yesterday", "until": "2020-13-01"}
    answer = await http.get("/dashboard/ratings", params=query)
    assert answer.status_code == 200
    assert "A shopper id is a whole number" in answer.text
    assert answer.text.count("Enter a date as YYYY-MM-DD.") == 2
    assert 'aria-describedby="shopper-error" aria-invalid="true"' in answer.text
    assert figure(answer.text, "count") == "6"  # the bad filters are left out
    backwards = await http.get("/dashboard/ratings", params={"since": day(3), "until": day(1)})
    assert "The last day must not be before the first day." in backwards.text
    cursor = await http.get("/dashboard/ratings", params={"cursor": "not-ours"})
    assert len(rating_ids(cursor.text)) == 6


async def test_comments_are_paged_twenty_at_a_time(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    async with sessions() as session:
        made = [
            (
                await insert_rating(
                    session,
                    rating=4,
                    comment=f"Comment {n}",
                    created_at=DAY0 + timedelta(minutes=n),
                )
            ).id
            for n in range(25)
        ]
        await session.commit()
    await log_in(http, creds)
    first = (await http.get("/dashboard/ratings", params={"source": "connect"})).text
    assert rating_ids(first) == made[::-1][:20]
    [older] = re.findall(r'href="([^"]+)" rel="next"', first)
    assert "source=connect" in html.unescape(older)
    second = (await http.get("/dashboard/ratings" + html.unescape(older))).text
    assert rating_ids(second) == made[::-1][20:]
    assert 'rel="next"' not in second
    assert "Newest ratings" in second


async def test_the_csv_is_the_filtered_export(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    ids = await arrange(sessions)
    await log_in(http, creds)
    answer = await http.get("/dashboard/ratings.csv", params={"source": "connect", "store": "s1"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="ratings.csv"'
    assert answer.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == COLUMNS
    assert [int(r["id"]) for r in rows] == [ids[1], ids[0]]
    assert rows[1]["highlights"] == '["QUALITY_ITEMS","SMOOTH_DELIVERY"]'
    assert rows[1]["thank_you_note"] == "Thanks, Sam!"
    assert rows[0]["thank_you_note"] == ""
    # The same rows as the API's list with the same filters.
    token = await factories.client_token(http, creds)
    listed = await http.get(
        "/v2/feedback/ratings",
        params={"source": "connect", "store": "s1"},
        headers=factories.bearer(token),
    )
    assert [r["id"] for r in listed.json()["ratings"]] == [int(r["id"]) for r in rows]
    everything = await http.get("/dashboard/ratings.csv")
    assert len(list(csv.DictReader(io.StringIO(everything.text)))) == len(ROWS)
