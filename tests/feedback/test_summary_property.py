"""The summary, computed by the database, equals a brute-force count over random ratings.

Hypothesis drives a plain function (``@given`` does not mix with async fixtures); the test runs
it in a worker thread, and every example calls back into the test's event loop with
``anyio.from_thread.run`` to arrange the rows and ask the API. So each example uses the same
app, database and HTTP client as any other test, on SQLite and on PostgreSQL.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.from_thread
import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.types import utcnow
from aftercart.feedback.rules import Highlight
from aftercart.models import Rating

BASE = utcnow().replace(microsecond=0) - timedelta(days=1)
SOURCES = ("connect", "yandex_eats", "other")
STORES = (None, "s1", "s2", "s3")
SHOPPERS = (None, 1, 2, 3)


@dataclass(frozen=True)
class Drawn:
    source: str
    store: str | None
    shopper_id: int | None
    rating: int
    highlights: tuple[Highlight, ...]
    created_at: datetime


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


#: Ratings on every boundary the explicit examples filter on.
BOUNDARY = [
    Drawn(source, store, None, rating, (Highlight.HELPFUL_CHAT,), at(minute))
    for minute, rating, source, store in [
        (1, 1, "connect", "s1"),
        (2, 2, "connect", "s1"),
        (3, 3, "yandex_eats", None),
        (4, 4, "connect", "s1"),
        (4, 5, "other", "s2"),
    ]
]

drawn_ratings = st.lists(
    st.builds(
        Drawn,
        source=st.sampled_from(SOURCES),
        store=st.sampled_from(STORES),
        shopper_id=st.sampled_from(SHOPPERS),
        rating=st.integers(1, 5),
        highlights=st.lists(st.sampled_from(Highlight), unique=True, max_size=4).map(tuple),
        created_at=st.integers(0, 8).map(at),
    ),
    max_size=30,
)

moments = st.integers(0, 9).map(at)
drawn_filters = st.fixed_dictionaries(
    {},
    optional={
        "source": st.sampled_from(SOURCES),
        "store": st.sampled_from(STORES[1:]),
        "shopper_id": st.sampled_from(SHOPPERS[1:]),
        "since": moments,
        "until": moments,
        "min_rating": st.integers(1, 5),
        "max_rating": st.integers(1, 5),
    },
)


def _matches(rating: Drawn, filters: dict[str, Any]) -> bool:
    return (
        filters.get("source", rating.source) == rating.source
        and filters.get("store", rating.store) == rating.store
        and filters.get("shopper_id", rating.shopper_id) == rating.shopper_id
        and rating.created_at >= filters.get("since", rating.created_at)
        and ("until" not in filters or rating.created_at < filters["until"])
        and filters.get("min_rating", 1) <= rating.rating <= filters.get("max_rating", 5)
    )


def _figures(ratings: list[Drawn]) -> dict[str, Any]:
    stars = Counter(r.rating for r in ratings)
    highlights = Counter(h for r in ratings for h in r.highlights)
    return {
        "count": len(ratings),
        "average": round(sum(r.rating for r in ratings) / len(ratings), 4) if ratings else None,
        "distribution": {str(n): stars[n] for n in range(1, 6)},
        "highlights": {h.value: highlights[h] for h in Highlight},
    }


def _by(ratings: list[Drawn], key: Callable[[Drawn], Any]) -> dict[Any, dict[str, Any]]:
    groups: dict[Any, list[Drawn]] = {}
    for rating in ratings:
        groups.setdefault(key(rating), []).append(rating)
    return {value: _figures(members) for value, members in groups.items()}


def _keyed(groups: Iterable[dict[str, Any]], name: str) -> dict[Any, dict[str, Any]]:
    return {group.pop(name): group for group in groups}


def brute_force(ratings: list[Drawn], filters: dict[str, Any]) -> dict[str, Any]:
    chosen = [r for r in ratings if _matches(r, filters)]
    return {
        **_figures(chosen),
        "by_source": _by(chosen, lambda r: r.source),
        "by_store": _by(chosen, lambda r: r.store),
        "by_shopper": _by(chosen, lambda r: r.shopper_id),
    }


async def test_summary_matches_a_brute_force_count(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def check(ratings: list[Drawn], filters: dict[str, Any]) -> None:
        async with sessions() as session:
            await session.execute(delete(Rating))
            session.add_all(
                Rating(
                    tenant_id=1,
                    source=r.source,
                    dedupe_key=f"drawn-{index}",
                    location_code=r.store,
                    shopper_id=r.shopper_id,
                    rating=r.rating,
                    highlights=[h.value for h in r.highlights],
                    created_at=r.created_at,
                    updated_at=r.created_at,
                )
                for index, r in enumerate(ratings)
            )
            await session.commit()
        params = {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in filters.items()
        }
        response = await http.get("/v2/feedback/summary", params=params, headers=client_headers)
        assert response.status_code == 200, response.text
        summary = response.json()
        summary["by_source"] = _keyed(summary["by_source"], "source")
        summary["by_store"] = _keyed(summary["by_store"], "store")
        summary["by_shopper"] = _keyed(summary["by_shopper"], "shopper_id")
        assert summary == brute_force(ratings, filters)

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(ratings=drawn_ratings, filters=drawn_filters)
    @example(ratings=BOUNDARY, filters={"since": at(2), "until": at(4)})
    @example(ratings=BOUNDARY, filters={"min_rating": 2, "max_rating": 4, "store": "s1"})
    def summary_property(ratings: list[Drawn], filters: dict[str, Any]) -> None:
        anyio.from_thread.run(check, ratings, filters)

    await anyio.to_thread.run_sync(summary_property)
