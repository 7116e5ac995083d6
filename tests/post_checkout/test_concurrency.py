"""On the customer's side, concurrent requests never lose or reorder a change."""

import asyncio
from datetime import datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from tests.post_checkout.helpers import arrange, decide, events, item_row, propose

Sessions = async_sessionmaker[AsyncSession]

DECISION_MESSAGES = {
    "APPROVED": "The replacement was already approved; a decision cannot be reversed.",
    "REJECTED": "The replacement was already rejected; a decision cannot be reversed.",
}


async def test_concurrent_posts_are_all_kept_in_order(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    bodies = [f"message {n}" for n in range(30)]
    responses = await asyncio.gather(
        *(http.post(order.messages, json={"body": b}, headers=order.headers) for b in bodies)
    )
    assert [r.status_code for r in responses] == [200] * 30
    listed = (await http.get(order.messages, headers=order.headers)).json()["messages"]
    assert sorted(m["body"] for m in listed) == sorted(bodies)
    ids = [int(m["id"]) for m in listed]
    assert ids == sorted(ids)
    assert len(set(ids)) == 30
    moments = [datetime.fromisoformat(m["created_at"]) for m in listed]
    assert moments == sorted(moments)
    assert {r.json()["id"] for r in responses} == {m["id"] for m in listed}
    announced = await events(sessions, order.order_id, names.CHAT_MESSAGE)
    assert [e["message"]["id"] for e in announced] == [m["id"] for m in listed]


@pytest.mark.parametrize("first", ["APPROVED", "REJECTED"])
async def test_opposite_decisions_at_once_exactly_one_wins(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, first: str
) -> None:
    order = await arrange(http, sessions, creds, lines=4)
    for line in ("1", "2", "3", "4"):
        await propose(sessions, order, line)
    second = "REJECTED" if first == "APPROVED" else "APPROVED"
    for line in ("1", "2", "3", "4"):
        responses = await asyncio.gather(
            decide(http, order, line, first),
            decide(http, order, line, second),
        )
        winners = [r for r in responses if r.status_code == 200]
        losers = [r for r in responses if r.status_code != 200]
        assert len(winners) == 1
        assert len(losers) == 1
        won = winners[0].json()["replacement_status"]
        assert losers[0].status_code == 400
        assert losers[0].json() == {"error": DECISION_MESSAGES[won], "status": 400}
        item = await item_row(sessions, order.order_id, line)
        assert item.replacement_status == won
        if won == "REJECTED":
            assert (item.shopper_status, item.delivered_count) == ("to_refund", 0)
        else:
            assert (item.shopper_status, item.delivered_count) == ("replaced", 2)
    decided = await events(sessions, order.order_id, names.REPLACEMENT_DECISION)
    assert len(decided) == 4


async def test_the_same_decision_at_once_is_applied_once(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    responses = await asyncio.gather(*(decide(http, order, "1", "REJECTED") for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    assert len(await events(sessions, order.order_id, names.REPLACEMENT_DECISION)) == 1
    item = await item_row(sessions, order.order_id, "1")
    assert (item.replacement_status, item.shopper_status) == ("REJECTED", "to_refund")


async def test_a_decision_racing_chat_posts_loses_nothing(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    decision = decide(http, order, "1", "APPROVED")
    posts = [
        http.post(order.messages, json={"body": f"note {n}"}, headers=order.headers)
        for n in range(5)
    ]
    responses = await asyncio.gather(decision, *posts)
    assert [r.status_code for r in responses] == [200] * 6
    item = await item_row(sessions, order.order_id, "1")
    assert (item.replacement_status, item.shopper_status) == ("APPROVED", "replaced")
    listed = (await http.get(order.messages, headers=order.headers)).json()["messages"]
    assert sorted(m["body"] for m in listed) == [f"note {n}" for n in range(5)]
    assert len(await events(sessions, order.order_id, names.REPLACEMENT_DECISION)) == 1
    assert len(await events(sessions, order.order_id, names.CHAT_MESSAGE)) == 5
