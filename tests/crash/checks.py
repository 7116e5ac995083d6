"""The kill -9 probe's rounds, and what is checked after each restart.

After the kill (and again after the restart, on SQLite): ``PRAGMA integrity_check`` and
``PRAGMA foreign_key_check``. After the restart: one more write must be answered 2xx; every
delivery must be sent, none for an event that does not exist (the same ``webhook-id`` twice is
allowed, and counted); every write answered 2xx must be stored, none answered otherwise; and
each stored change must have its one event, as the last event of its target says.
"""

import asyncio
import contextlib
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from aftercart.db.engine import create_engine, read_session_factory
from aftercart.events import names
from aftercart.events.webhooks import rules
from aftercart.models import ChatMessage, Event, Order, OrderItem, Rating, WebhookDelivery
from tests.crash.traffic import (
    NOT_SHOPPED,
    Access,
    Outcome,
    Receiver,
    Server,
    Shop,
    Write,
    arrange,
    chat_lane,
    drive_and_kill,
    open_shop,
    round_lanes,
    send,
    start_picking,
)

MIN_KILL_DELAY = 0.2
DELIVERY_SECONDS = 30.0
ITEM_EVENTS = frozenset(
    {names.ITEM_UPDATED, names.ITEM_REPLACEMENT, names.ITEM_REFUND, names.REPLACEMENT_DECISION}
)
PROBE_EVENTS = ITEM_EVENTS | {names.CHAT_MESSAGE, names.RATING_UPDATED}

EventRow = tuple[int, str, str | None, dict[str, Any]]


@dataclass
class RoundReport:
    number: int
    kill_after: float
    acked: Counter[str] = field(default_factory=Counter)
    found: int = 0
    in_flight: int = 0
    committed: int = 0  # of those in flight
    rejected: list[str] = field(default_factory=list)
    changes: int = 0
    events: int = 0
    deliveries: int = 0  # every delivery row so far
    delivered: int = 0  # distinct webhook-ids received so far
    duplicates: int = 0  # receipts of a webhook-id already received, in this round
    integrity: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.acked.total() - self.found


async def probe(
    database_url: str,
    folder: Path,
    *,
    rounds: int,
    seed: int,
    max_kill_delay: float = 1.0,
    on_round: Callable[[RoundReport], None] = lambda report: None,
) -> list[RoundReport]:
    """``rounds`` kills of one server on the empty database ``database_url``, each round's
    report handed to ``on_round`` as it ends; the server's log goes to ``folder/serve.log``."""
    rng = random.Random(seed)
    shop = await arrange(database_url, rounds)
    engine = create_engine(database_url)
    reports: list[RoundReport] = []
    with (folder / "serve.log").open("ab") as log:
        server = Server(database_url, log)
        try:
            async with Receiver().serving() as receiver:
                await server.start()
                async with server.client() as http:
                    access = await open_shop(http, shop, receiver.url)
                baseline = await _last_event_id(engine)
                for number in range(rounds):
                    kill_after = rng.uniform(MIN_KILL_DELAY, max(MIN_KILL_DELAY, max_kill_delay))
                    report = RoundReport(number + 1, kill_after)
                    await _round(server, engine, shop, access, receiver, report, baseline)
                    report.duplicates -= sum(r.duplicates for r in reports)
                    reports.append(report)
                    on_round(report)
        finally:
            server.stop()
            await engine.dispose()
    return reports


async def _round(
    server: Server,
    engine: AsyncEngine,
    shop: Shop,
    access: Access,
    receiver: Receiver,
    report: RoundReport,
    baseline: int,
) -> None:
    number = report.number - 1
    sqlite = make_url(server.database_url).get_backend_name() == "sqlite"
    async with server.client() as http:
        await start_picking(http, access, shop.picking[number])
    writes = await drive_and_kill(server, round_lanes(access, shop, number), report.kill_after)
    if sqlite:
        report.integrity["after kill"] = sqlite_integrity(server.database_url)
    await server.start()
    async with server.client() as http:
        tag = f"r{number}-after-restart-{time.time_ns()}"
        after = await send(http, chat_lane(access, shop.picking[number][0], tag)(0))
    writes.append(after)
    if after.outcome is not Outcome.ACKED:
        report.problems.append(f"the restarted server refused a write: {after.answer}")
    await check_deliveries(engine, receiver, report, baseline)
    await check_writes(engine, shop.picking[number] + shop.delivered[number], writes, report)
    if sqlite:
        report.integrity["after restart"] = sqlite_integrity(server.database_url)
    for moment, verdict in report.integrity.items():
        if verdict != "ok":
            report.problems.append(f"integrity {moment}: {verdict}")


def sqlite_integrity(database_url: str) -> str:
    """``ok``, or what ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` found."""
    path = make_url(database_url).database
    assert path
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        found = [str(row[0]) for row in db.execute("PRAGMA integrity_check")]
        found += [f"foreign key {row}" for row in db.execute("PRAGMA foreign_key_check")]
    return "ok" if found == ["ok"] else "; ".join(found)


async def _last_event_id(engine: AsyncEngine) -> int:
    async with read_session_factory(engine)() as session:
        return (await session.scalar(select(func.max(Event.id)))) or 0


async def check_deliveries(
    engine: AsyncEngine, receiver: Receiver, report: RoundReport, baseline: int
) -> None:
    """Waits until every delivery has succeeded and reached the receiver; then each event past
    ``baseline`` must have exactly one delivery, and each receipt a delivery of its event."""
    deadline = time.monotonic() + DELIVERY_SECONDS
    sessions = read_session_factory(engine)
    while True:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(WebhookDelivery.id, WebhookDelivery.event_id, WebhookDelivery.status)
                )
            ).all()
            event_ids = set(await session.scalars(select(Event.id).where(Event.id > baseline)))
        received = {webhook_id for webhook_id, _ in receiver.received}
        owed = [d for d, _, status in rows if status == rules.PENDING]
        unheard = [d for d, _, _ in rows if rules.message_id(d) not in received]
        if not (owed or unheard) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    if owed or unheard:
        report.problems.append(
            f"after {DELIVERY_SECONDS:g} s: {len(owed)} deliveries pending, "
            f"{len(unheard)} never received"
        )
    deliveries = {d: event_id for d, event_id, _ in rows}
    failed = [d for d, _, status in rows if status == rules.FAILED]
    if failed:
        report.problems.append(f"deliveries failed: {failed[:10]}")
    per_event = Counter(event_id for event_id in deliveries.values() if event_id > baseline)
    for event_id in sorted(event_ids | set(per_event)):
        if event_id not in event_ids:
            report.problems.append(f"deliveries {per_event[event_id]} of missing event {event_id}")
        elif per_event[event_id] != 1:
            report.problems.append(f"event {event_id} has {per_event[event_id]} deliveries")
    for webhook_id, event_id in receiver.received:
        number = webhook_id.removeprefix("msg_")
        delivery = int(number) if number.isdecimal() else 0
        if deliveries.get(delivery) != event_id or event_id not in event_ids:
            report.problems.append(f"received {webhook_id} for event {event_id}: unknown")
    report.deliveries, report.delivered = len(rows), len(received)
    report.duplicates = len(receiver.received) - len(received)


@dataclass
class Stored:
    lines: dict[str, Any]  # "order/line" -> (shopper_status, delivered_count, replacement_status)
    chats: dict[str, list[int]]  # body -> message ids
    ratings: dict[str, Any]  # order -> (stars, thank_you_note)
    events: list[EventRow]


async def read_stored(engine: AsyncEngine, orders: list[str]) -> Stored:
    lines: dict[str, Any] = {}
    chats: dict[str, list[int]] = {}
    ratings: dict[str, Any] = {}
    async with read_session_factory(engine)() as session:
        for order_id, line, status, count, replacement in await session.execute(
            select(
                Order.order_id,
                OrderItem.line_num,
                OrderItem.shopper_status,
                OrderItem.delivered_count,
                OrderItem.replacement_status,
            )
            .join(Order, Order.id == OrderItem.order_pk)
            .where(Order.order_id.in_(orders))
        ):
            lines[f"{order_id}/{line}"] = (status, count, replacement)
        for message_id, body in await session.execute(
            select(ChatMessage.id, ChatMessage.body)
            .join(Order, Order.id == ChatMessage.order_pk)
            .where(Order.order_id.in_(orders))
        ):
            chats.setdefault(body, []).append(message_id)
        for order_ref, stars, note in await session.execute(
            select(Rating.order_ref, Rating.rating, Rating.thank_you_note).where(
                Rating.order_ref.in_(orders)
            )
        ):
            ratings[str(order_ref)] = (stars, note)
        events = [
            (event_id, name, order_id, metadata)
            for event_id, name, order_id, metadata in await session.execute(
                select(Event.id, Event.name, Event.order_id, Event.metadata_)
                .where(Event.order_id.in_(orders))
                .order_by(Event.id)
            )
        ]
    return Stored(lines, chats, ratings, events)


async def check_writes(
    engine: AsyncEngine, orders: list[str], writes: list[Write], report: RoundReport
) -> None:
    """Every write against what is stored, and every stored change against its events."""
    stored = await read_stored(engine, orders)
    report.in_flight = sum(w.outcome is Outcome.IN_FLIGHT for w in writes)
    report.rejected = [
        f"{w.method} {w.path}: {w.answer}" for w in writes if w.outcome is Outcome.REJECTED
    ]
    report.events = sum(name in PROBE_EVENTS for _, name, _, _ in stored.events)
    item_events: dict[str, list[Any]] = {}
    rating_events: dict[str, list[Any]] = {}
    for _, name, order_id, metadata in stored.events:
        if name in ITEM_EVENTS:
            item = metadata["item"]
            line = (item["status"], item["delivered_count"], item["replacement_status"])
            item_events.setdefault(f"{order_id}/{item['line_num']}", []).append(line)
        elif name == names.RATING_UPDATED:
            rating = metadata["rating"]
            state = (rating["rating"], rating["thank_you_note"])
            rating_events.setdefault(str(order_id), []).append(state)
    targets: dict[str, list[Write]] = {}
    for write in writes:
        if write.kind != "chat":
            targets.setdefault(write.target, []).append(write)
    for target, sent in targets.items():
        if sent[0].kind == "rating":
            now, initial, events = stored.ratings.get(target), None, rating_events
        else:
            now, initial, events = stored.lines.get(target), NOT_SHOPPED, item_events
        changes = _check_sequence(report, target, sent, now, initial)
        seen = events.get(target, [])
        if len(seen) != changes or (seen and seen[-1] != now):
            report.problems.append(
                f"partial write at {target}: {changes} changes stored, {len(seen)} events, "
                f"stored {now}, last event {seen[-1] if seen else None}"
            )
        report.changes += changes
    _check_chat(report, writes, stored)
    if report.changes != report.events:
        report.problems.append(f"{report.changes} changes but {report.events} events")


def _check_sequence(
    report: RoundReport, target: str, sent: list[Write], now: Any, initial: Any
) -> int:
    """How many of a target's sequential writes committed, judged by the state stored: all those
    answered 2xx, and the unanswered or refused last one if the state is the one it leaves."""
    acked = [w for w in sent if w.outcome is Outcome.ACKED]
    report.acked[sent[0].kind] += len(acked)
    last = sent[-1] if sent[-1].outcome is not Outcome.ACKED else None
    before = acked[-1].state if acked else initial
    if last is not None and now == last.state:
        report.found += len(acked)
        if last.outcome is Outcome.REJECTED:
            report.problems.append(f"{target}: answered {last.answer!r}, yet stored")
        else:
            report.committed += 1
        return len(acked) + 1
    if now == before:
        report.found += len(acked)
        return len(acked)
    report.found += max(0, len(acked) - 1)
    report.problems.append(f"lost write at {target}: stored {now}, acknowledged {before}")
    return len(acked)


def _check_chat(report: RoundReport, writes: list[Write], stored: Stored) -> None:
    sent = {w.target: w for w in writes if w.kind == "chat"}
    for body, write in sent.items():
        ids = stored.chats.get(body, [])
        if len(ids) > 1:
            report.problems.append(f"chat {body!r} stored {len(ids)} times")
        if write.outcome is Outcome.ACKED:
            report.acked["chat"] += 1
            report.found += bool(ids)
            if not ids:
                report.problems.append(f"lost chat message {body!r}")
        elif ids and write.outcome is Outcome.IN_FLIGHT:
            report.committed += 1
        elif ids:
            report.problems.append(f"chat {body!r}: answered {write.answer!r}, yet stored")
    for body in set(stored.chats) - set(sent):
        report.problems.append(f"chat {body!r} stored, never sent")
    events: dict[str, list[str]] = {}
    for _, name, _, metadata in stored.events:
        if name == names.CHAT_MESSAGE:
            message = metadata["message"]
            events.setdefault(message["id"], []).append(message["body"])
    rows = {str(message_id): body for body, ids in stored.chats.items() for message_id in ids}
    for message_id in set(rows) | set(events):
        if events.get(message_id) != [rows.get(message_id)]:
            report.problems.append(
                f"partial chat write: message {message_id} {rows.get(message_id)!r}, "
                f"events {events.get(message_id)}"
            )
    report.changes += len(rows)
