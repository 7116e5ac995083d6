"""``GET /v2/feedback/ratings`` and ``GET /v2/feedback/summary`` with a client token."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from tests import factories
from tests.feedback.helpers import backend_path, insert_rating, place_order, walk

START = utcnow().replace(microsecond=0) - timedelta(days=10)


async def _arrange(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    """Six ratings a day apart (ids in age order, oldest first)."""
    rows = [
        ("connect", "s1", 7, 5, ["QUALITY_ITEMS", "SMOOTH_DELIVERY"]),
        ("connect", "s1", 8, 3, ["QUALITY_ITEMS"]),
        ("connect", "s2", 7, 1, []),
        ("yandex_eats", "s2", None, 4, []),
        ("yandex_eats", None, None, 2, []),
        ("connect", "s2", 8, 5, ["HELPFUL_CHAT"]),
    ]
    ids = []
    async with sessions() as session:
        for day, (source, store, shopper, rating, highlights) in enumerate(rows):
            row = await insert_rating(
                session,
                source=source,
                location_code=store,
                shopper_id=shopper,
                rating=rating,
                highlights=highlights,
                created_at=START + timedelta(days=day),
            )
            ids.append(row.id)
        await session.commit()
    return ids


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [5, 4, 3, 2, 1, 0]),
        ({"source": "yandex_eats"}, [4, 3]),
        ({"store": "s2"}, [5, 3, 2]),
        ({"shopper_id": 7}, [2, 0]),
        ({"min_rating": 4}, [5, 3, 0]),
        ({"max_rating": 2}, [4, 2]),
        ({"min_rating": 2, "max_rating": 4, "source": "connect"}, [1]),
        ({"since": (START + timedelta(days=4)).isoformat()}, [5, 4]),
        ({"until": (START + timedelta(days=1)).isoformat()}, [0]),
        ({"since": (START + timedelta(days=1)).replace(tzinfo=None).isoformat()}, [5, 4, 3, 2, 1]),
    ],
)
async def test_filters_and_newest_first(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    params: dict[str, object],
    expected: list[int],
) -> None:
    ids = await _arrange(sessions)
    found = await walk(http, client_headers, limit=2, **params)
    assert [r["id"] for r in found] == [ids[i] for i in expected]


async def test_pages_do_not_shift_when_ratings_arrive(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """New ratings, even one stored at the very time of the page's last row (a higher id),
    sort before the cursor: the walk goes on exactly where it was."""
    ids = await _arrange(sessions)
    first = await http.get("/v2/feedback/ratings", params={"limit": 2}, headers=client_headers)
    page = first.json()
    async with sessions() as session:
        for _ in range(3):
            await insert_rating(session)
        await insert_rating(session, created_at=START + timedelta(days=4))
        await session.commit()
    rest = await walk(http, client_headers, limit=2, cursor=page["next_cursor"])
    seen = [r["id"] for r in page["ratings"] + rest]
    assert seen == [ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]]


async def test_one_rating_in_full(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    path = backend_path(placed)
    body = {"rating_value": "STARS4", "highlights": ["EXTRA_EFFORT"], "thank_you_note": "merci"}
    await http.post(path, json=body, headers=client_headers)
    response = await http.get("/v2/feedback/ratings", headers=client_headers)
    [rating] = response.json()["ratings"]
    assert response.json()["next_cursor"] is None
    assert rating["source"] == "connect"
    assert rating["channel"] == "backend"
    assert rating["order_id"] == placed.order_id
    assert rating["user_id"] == placed.user_id
    assert rating["store"] == placed.location_code
    assert (rating["rating"], rating["rating_value"]) == (4, "STARS4")
    assert rating["highlights"] == ["EXTRA_EFFORT"]
    assert rating["thank_you_note"] == "merci"


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"min_rating": 6}, "min_rating"),
        ({"max_rating": 0}, "max_rating"),
        ({"shopper_id": "x"}, "shopper_id"),
        ({"since": "yesterday"}, "since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_parameters_are_400(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    params: dict[str, str | int],
    key: str,
) -> None:
    response = await http.get("/v2/feedback/ratings", params=params, headers=client_headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 1001
    assert response.json()["meta"] == {"key": key}


async def test_reads_need_a_client_token(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    placed = await place_order(sessions)
    headers = factories.bearer(await factories.user_token(http, creds, placed.user_id))
    for path in ("/v2/feedback/ratings", "/v2/feedback/summary"):
        assert (await http.get(path, headers=headers)).status_code == 403
        assert (await http.get(path)).status_code == 401


async def test_summary_of_a_known_set(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _arrange(sessions)
    response = await http.get("/v2/feedback/summary", headers=client_headers)
    assert response.status_code == 200
    summary = response.json()
    assert summary["count"] == 6
    assert summary["average"] == 3.3333
    assert summary["distribution"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 2}
    assert len(summary["highlights"]) == 10
    assert summary["highlights"]["QUALITY_ITEMS"] == 2
    assert summary["highlights"]["SMOOTH_DELIVERY"] == 1
    assert summary["highlights"]["FAST_PICKUP"] == 0
    assert [(g["source"], g["count"], g["average"]) for g in summary["by_source"]] == [
        ("connect", 4, 3.5),
        ("yandex_eats", 2, 3.0),
    ]
    assert [(g["store"], g["count"]) for g in summary["by_store"]] == [
        ("s1", 2),
        ("s2", 3),
        (None, 1),
    ]
    assert [(g["shopper_id"], g["count"]) for g in summary["by_shopper"]] == [
        (7, 2),
        (8, 2),
        (None, 2),
    ]


async def test_summary_of_nothing(http: httpx.AsyncClient, client_headers: dict[str, str]) -> None:
    summary = (await http.get("/v2/feedback/summary", headers=client_headers)).json()
    assert summary["count"] == 0
    assert summary["average"] is None
    assert summary["distribution"] == dict.fromkeys("12345", 0)
    assert set(summary["highlights"].values()) == {0}
    assert summary["by_source"] == summary["by_store"] == summary["by_shopper"] == []
