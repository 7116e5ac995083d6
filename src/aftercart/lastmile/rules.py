"""Pure rules of last-mile delivery: phone numbers, the dispatch window, which slot serves it,
and which orders each last-mile endpoint accepts."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from aftercart.errors import IncompatibleOrderStatus, InvalidParameter
from aftercart.fulfillment.rules import BRAND_NEW, has_forbidden_characters

#: The last-mile states of an order (post-checkout "Get an order", LMD rows): staging moves a
#: ``brand_new`` order to ``staged_for_delivery``; a ``delivery_only`` batch takes it on.
STAGED_FOR_DELIVERY: Final = "staged_for_delivery"

#: E.164: a ``+``, a country code that does not start with 0, at most 15 digits in all
#: (the fulfillment changelog's breaking change of June 9, 2026 for ``user_phone``).
E164: Final = re.compile(r"^\+[1-9]\d{6,14}$")

INVALID_PHONE: Final = "Invalid phone number"
WINDOW_NOT_AVAILABLE: Final = "Requested delivery window not available at this store"
NO_WINDOWS: Final = "No delivery windows currently available"
STORE_CLOSED: Final = "Store is currently closed for delivery"
NO_ALCOHOL: Final = "Alcohol delivery not enabled for this store"
NOT_LAST_MILE: Final = "This endpoint works only with last mile delivery orders"
NOT_DISPATCH: Final = "This endpoint works only with dispatch last mile delivery orders"
WINDOW_SHAPE: Final = "must be at least one hour long and start and end on the hour"
MIN_WINDOW: Final = timedelta(hours=1)


def is_e164(phone: str) -> bool:
    return E164.match(phone) is not None


def name_error(name: str | None) -> bool:
    """Whether a customer's name is refused: blank, or with one of ``/:<>$%?``."""
    return name is None or not name.strip() or has_forbidden_characters(name)


def aware(moment: datetime) -> datetime:
    """A timestamp without an offset is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _on_the_hour(moment: datetime) -> bool:
    return moment.minute == 0 and moment.second == 0 and moment.microsecond == 0


def check_window(start_at: datetime, end_at: datetime) -> None:
    """Connect's dispatch window: at least one hour, starting and ending on the hour (read in
    the offset the retailer sent)."""
    if not _on_the_hour(start_at):
        raise InvalidParameter(WINDOW_SHAPE, key="start_at")
    if not _on_the_hour(end_at) or aware(end_at) - aware(start_at) < MIN_WINDOW:
        raise InvalidParameter(WINDOW_SHAPE, key="end_at")


@dataclass(frozen=True)
class Slot:
    """What the choice of a slot needs to know: its window and whether it has room."""

    id: int
    starts_at: datetime
    ends_at: datetime
    has_room: bool


@dataclass(frozen=True)
class Choice:
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    fell_back: bool


def choose_slot(
    slots: Sequence[Slot],
    *,
    start_at: datetime,
    end_at: datetime,
    fallback: bool,
    zone: tzinfo,
) -> Choice:
    """The slot that serves a dispatch order (``slots`` earliest first).

    The first slot inside the requested window with room serves it, and the order keeps the
    requested window. None inside the window at all (closed hours, past, too far ahead): 400
    "Requested delivery window not available at this store". All full: with
    ``fallback_to_soonest_sameday`` the soonest slot with room on the same day (the store's
    day of ``start_at``) serves it with its own window, else 400 "No delivery windows currently
    available"; without the fallback the requested window is not available.
    """
    start, end = aware(start_at), aware(end_at)
    inside = [slot for slot in slots if start <= slot.starts_at and slot.ends_at <= end]
    if not inside:
        raise InvalidParameter(WINDOW_NOT_AVAILABLE, key="start_at")
    for slot in inside:
        if slot.has_room:
            return Choice(slot.id, start, end, fell_back=False)
    if not fallback:
        raise InvalidParameter(WINDOW_NOT_AVAILABLE, key="start_at")
    day = start.astimezone(zone).date()
    for slot in slots:
        if slot.has_room and slot.starts_at.astimezone(zone).date() == day:
            return Choice(slot.id, slot.starts_at, slot.ends_at, fell_back=True)
    raise InvalidParameter(NO_WINDOWS, key="start_at")


def check_stageable(service_type: str, workflow_state: str) -> None:
    """Only a last-mile order, and only once: while it is ``brand_new``."""
    if service_type != "last_mile":
        raise InvalidParameter(NOT_LAST_MILE, key="order_id")
    if workflow_state != BRAND_NEW:
        raise IncompatibleOrderStatus()
