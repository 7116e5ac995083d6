"""Pure rules of the fulfillment API: order status, user names, locales, item limits, slots."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Final, Protocol, TypeVar

BRAND_NEW: Final = "brand_new"
CANCELED: Final = "canceled"

#: Seed 004's order status for each workflow state (issue 3 §1).
STATUS_BY_WORKFLOW_STATE: Final[dict[str, str]] = {
    "brand_new": "brand_new",
    "acknowledged": "acknowledged",
    "picking": "picking",
    "verifying_replacements": "picking",
    "checkout": "staging",
    "receipt_sanity_check": "staging",
    "bags_check": "staging",
    "staged": "staging",
    "delivering": "delivering",
    "completed": "delivered",
    "canceled": "canceled",
}

#: Workflow states in which the customer may still cancel through the API.
CANCELABLE_STATES: Final = frozenset({"brand_new", "acknowledged"})

#: Workflow states in which the shopper is picking (item updates and replacement decisions).
PICKING_STATES: Final = frozenset({"picking", "verifying_replacements"})


def order_status(workflow_state: str) -> str:
    return STATUS_BY_WORKFLOW_STATE[workflow_state]


def is_delivered(workflow_state: str) -> bool:
    return order_status(workflow_state) == "delivered"


# --- Users ----------------------------------------------------------------------------------------

#: Characters Connect refuses in a user's names (reference §4.1).
NAME_FORBIDDEN_CHARACTERS: Final = "/:<>$%?"


def has_forbidden_characters(name: str) -> bool:
    return any(character in NAME_FORBIDDEN_CHARACTERS for character in name)


def capitalize_name(name: str) -> str:
    """``"john"`` → ``"John"``, ``"mary-jane o'neil"`` → ``"Mary-Jane O'neil"``.

    Only the first letter of each space- or hyphen-separated part is raised; the rest is kept as
    given, so ``"McDonald"`` stays ``"McDonald"``.
    """
    return re.sub(r"(^|[\s-])(\w)", lambda match: match[1] + match[2].upper(), name)


def posix_locale(tag: str | None) -> str | None:
    """An IETF tag (``en-US``) as Connect's order ``locale`` writes it (``en_US``)."""
    return tag.replace("-", "_") if tag else None


LOCALE_PATTERN: Final = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$"


def locale_from_accept_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header (``fr-CA,fr;q=0.8`` → ``fr-CA``)."""
    if not header:
        return None
    first = header.split(",")[0].split(";")[0].strip()
    return normalize_locale(first) if re.match(LOCALE_PATTERN, first) else None


def normalize_locale(tag: str) -> str:
    """``en_us`` → ``en-US``: language lower case, a two-letter region upper case."""
    language, *rest = re.split(r"[-_]", tag)
    parts = [language.lower()] + [part.upper() if len(part) == 2 else part for part in rest]
    return "-".join(parts)


# --- Orders ---------------------------------------------------------------------------------------

#: Counted units one delivery order may hold (reference §4.5, FAQ); pickup has no limit.
MAX_DELIVERY_UNITS: Final = 250


def counted_units(counts: Iterable[int | None]) -> int:
    """Units that count towards the delivery limit: the ``count`` of each line (weighed lines
    without a count add nothing)."""
    return sum(count or 0 for count in counts)


def default_replacement_policy(has_replacement_items: bool) -> str:
    """Reference §4.6: ``users_choice`` when replacements are named, else ``shoppers_choice``."""
    return "users_choice" if has_replacement_items else "shoppers_choice"


def picking_started(workflow_state: str) -> bool:
    """Whether the shopper's outcome of the items is worth showing (it is not before picking)."""
    return workflow_state not in {BRAND_NEW, "acknowledged", CANCELED}


P_co = TypeVar("P_co", covariant=True)


class PickedLine(Protocol[P_co]):
    """An order line as picking left it: an ORM item, or a read snapshot's line."""

    @property
    def shopper_status(self) -> str: ...
    @property
    def replacement_status(self) -> str | None: ...
    @property
    def product(self) -> P_co: ...
    @property
    def replacement_product(self) -> P_co | None: ...


def delivered_product(item: PickedLine[P_co]) -> P_co | None:
    """What reaches the customer: a replacement the customer has not rejected, nothing for a
    refund, else the product asked for (needs ``product`` and ``replacement_product`` loaded)."""
    if item.shopper_status == "to_refund":
        return None
    if item.shopper_status == "replaced" and item.replacement_status != "REJECTED":
        return item.replacement_product
    return item.product


# --- Time slots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotPattern:
    """The daily windows of one service, in the store's local time."""

    first_hour: int
    last_hour: int
    hours: int


#: Delivery: two-hour windows from 08:00 to 20:00; pickup: one-hour windows from 09:00 to 20:00.
SLOT_PATTERNS: Final[dict[str, SlotPattern]] = {
    "delivery": SlotPattern(first_hour=8, last_hour=20, hours=2),
    "pickup": SlotPattern(first_hour=9, last_hour=20, hours=1),
}

#: A window is offered (and can be reserved or booked) only if it starts at least this much later.
SLOT_LEAD_TIME: Final = timedelta(hours=1)


def slot_windows(
    *, now: datetime, days: int, zone: tzinfo, service_type: str
) -> list[tuple[datetime, datetime]]:
    """The windows offered at ``now``: every window of the pattern, in the store's zone, that
    starts between ``now + SLOT_LEAD_TIME`` and ``now + days``. Returned in UTC, earliest first."""
    pattern = SLOT_PATTERNS[service_type]
    earliest, horizon = now + SLOT_LEAD_TIME, now + timedelta(days=days)
    today = now.astimezone(zone).date()
    windows = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        for hour in range(pattern.first_hour, pattern.last_hour, pattern.hours):
            start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
            end_hour = min(hour + pattern.hours, pattern.last_hour)
            end = datetime.combine(day, time(end_hour), tzinfo=zone).astimezone(UTC)
            if earliest <= start <= horizon:
                windows.append((start, end))
    return windows


def slot_open(window_starts_at: datetime, now: datetime) -> bool:
    """Whether a window may still be reserved or booked."""
    return window_starts_at >= now + SLOT_LEAD_TIME


def remaining_capacity(*, capacity: int, orders: int, holds: int) -> int:
    """Places left in a slot: its capacity less live orders and other users' live holds."""
    return max(capacity - orders - holds, 0)
