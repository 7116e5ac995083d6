"""Work that may only happen once a transaction has committed.

A service notes it with :func:`defer` while it writes (an event to announce to live streams, a
worker to wake, cached tokens to forget). Whoever owns the transaction (for requests,
:class:`~aftercart.db.session.TransactionalRoute`) calls :func:`committed` once the commit has
succeeded, which hands the notes to the application's :class:`AfterCommit`
(``app.state.after_commit``, carried in the info of every session the app makes); a rollback
drops them. So nothing leaves the process for a change that was rolled back, and one place says
what follows a commit.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

_KEY = "aftercart.after_commit"
#: Where a session made by the app finds its :class:`AfterCommit` (see ``session_factory``).
HANDLERS_KEY = "aftercart.after_commit_handlers"


@dataclass(frozen=True)
class EventCommitted:
    """An event row was committed (see :func:`aftercart.events.outbox.record_event`)."""

    order_pk: int | None
    event_id: int


@dataclass(frozen=True)
class DeliveriesDue:
    """Webhook deliveries became due without a new event (a redelivery)."""


@dataclass(frozen=True)
class AuthChanged:
    """A token was revoked or a user deactivated: cached credentials must be checked again."""


Note = EventCommitted | DeliveriesDue | AuthChanged
Handler = Callable[[Any], None]


def defer(session: AsyncSession, note: Note) -> None:
    session.info.setdefault(_KEY, []).append(note)


def take(session: AsyncSession) -> list[Note]:
    notes: list[Note] = session.info.pop(_KEY, [])
    return notes


def committed(session: AsyncSession) -> None:
    """Runs what ``session``'s transaction noted; call it right after a successful commit.

    A session that no application made (a script's, a migration's) has no handlers: its notes
    are dropped, and other processes still learn of its events from the database.
    """
    notes = take(session)
    handlers: AfterCommit | None = session.info.get(HANDLERS_KEY)
    if handlers is not None:
        handlers.run(notes)


class AfterCommit:
    """The handlers of each kind of note, registered by the parts of the app that act on them.

    Handlers run synchronously on the event loop, in the order registered; one that fails is
    logged and the others still run (the change is committed whatever they do).
    """

    def __init__(self) -> None:
        self._handlers: dict[type[Any], list[Handler]] = {}

    def on(self, kind: type[Any], handler: Handler) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    def run(self, notes: list[Note]) -> None:
        for note in notes:
            for handler in self._handlers.get(type(note), ()):
                try:
                    handler(note)
                except Exception:
                    log.exception("after-commit handler for %s failed", type(note).__name__)
