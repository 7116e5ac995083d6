"""Pure rules of the fulfillment API: order status, cancellation reasons, user names, locales,
item limits, replacements, tips, slots."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

BRAND_NEW: Final = "brand_new"
CANCELED: Final = "canceled"
#: The service type of a last-mile order: the retailer picks and packs, Instacart delivers.
LAST_MILE: Final = "last_mile"

#: The post-checkout document's order status for each workflow state.
STATUS_BY_WORKFLOW_STATE: Final[dict[str, str]] = {
    "brand_new": "brand_new",
    "acknowledged": "acknowledged",
    "picking": "picking",
    "verifying_replacements": "picking",
    "checkout": "staging",
    "receipt_sanity_check": "staging",
    "bags_check": "staging",
    "staged": "staging",
    # Last mile: the retailer staged the bags; a shopper is then assigned and comes for them.
    "staged_for_delivery": "staging",
    "acknowledged_for_delivery": "acknowledged",
    "at_store": "acknowledged",
    "bags_verified": "acknowledged",
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


class CancellationReason(StrEnum):
    """The Order object's ``cancellation_reason``: who or what ended the order."""

    CUSTOMER_DRIVEN = "customer_driven"
    INSTACART_DRIVEN = "instacart_driven"
    RETAILER_DRIVEN = "retailer_driven"
    SHOPPER_DRIVEN = "shopper_driven"
    UNBATCHABLE = "unbatchable"
    OTHER = "other"


#: The cancel endpoint is called by the retailer's systems (its customer's wish included: the
#: retailer cannot prove it, so it is the retailer's call as far as the record goes).
API_CANCELLATION: Final = CancellationReason.RETAILER_DRIVEN
#: The sandbox's simulated ``canceled`` callback stands for a cancellation on Instacart's side.
SIMULATED_CANCELLATION: Final = CancellationReason.INSTACART_DRIVEN

#: Statuses in which the customer's replacement selections are still taken (the shopper may not
#: have reached the item yet).
SELECTION_STATUSES: Final = frozenset({"brand_new", "acknowledged", "picking"})


def takes_replacement_selections(workflow_state: str) -> bool:
    return order_status(workflow_state) in SELECTION_STATUSES


# --- Users ----------------------------------------------------------------------------------------

#: Characters Connect refuses in a user's names.
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

#: Counted units one delivery order may hold (Instacart's fulfillment FAQ); pickup has no limit.
MAX_DELIVERY_UNITS: Final = 250


def counted_units(counts: Iterable[int | None]) -> int:
    """Units that count towards the delivery limit: the ``count`` of each line (weighed lines
    without a count add nothing)."""
    return sum(count or 0 for count in counts)


NO_REPLACEMENTS: Final = "no_replacements"
USERS_CHOICE: Final = "users_choice"
SHOPPERS_CHOICE: Final = "shoppers_choice"
REPLACEMENT_POLICIES: Final = (NO_REPLACEMENTS, USERS_CHOICE, SHOPPERS_CHOICE)


def default_replacement_policy(has_replacement_items: bool) -> str:
    """``users_choice`` when replacements are named, else ``shoppers_choice``."""
    return USERS_CHOICE if has_replacement_items else SHOPPERS_CHOICE


def replacement_items_error(policy: str, count: int) -> str | None:
    """``no_replacements`` with replacements named contradicts itself; the other policies take
    any number (``shoppers_choice`` reads them as suggestions)."""
    if policy == NO_REPLACEMENTS and count:
        return "must be empty when replacement_policy is no_replacements"
    return None


def names_product(entry: Mapping[str, Any], *, upc: str | None, rrc: str | None) -> bool:
    """Whether a stored replacement item (``{"upc": ...}`` or ``{"rrc": ...}``) is the product."""
    by_upc = upc is not None and entry.get("upc") == upc
    return by_upc or (rrc is not None and entry.get("rrc") == rrc)


def replacement_refusal(
    policy: str, chosen: Iterable[Mapping[str, Any]], *, upc: str | None, rrc: str | None
) -> str | None:
    """Why the shopper may not replace a line with the product (``upc``/``rrc``), or ``None``.

    ``no_replacements``: never. ``users_choice``: only with one of the customer's
    ``replacement_items`` (none chosen yet: none allowed). ``shoppers_choice``: any product.
    """
    if policy == NO_REPLACEMENTS:
        return "is not allowed: the item's replacement_policy is no_replacements"
    if policy == USERS_CHOICE and not any(names_product(c, upc=upc, rrc=rrc) for c in chosen):
        return "must be one of the item's replacement_items (replacement_policy users_choice)"
    return None


def tip_error(service_type: str) -> str | None:
    """Pickup orders carry no tip (and Connect sends no Tip adjustment callback for them)."""
    return None if service_type != "pickup" else "can't be set: a pickup order has no tip"


def current_tip(initial_tip_cents: int | None, tip_amount_cents: int | None) -> int | None:
    """The tip as it stands: the last adjustment after delivery, else the one given at
    create/update."""
    return tip_amount_cents if tip_amount_cents is not None else initial_tip_cents


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


#: Delivery: two-hour windows from 08:00 to 20:00; pickup: one-hour windows from 09:00 to 20:00;
#: last mile: one-hour windows from 08:00 to 20:00 (so that any on-the-hour window of an hour or
#: more that a dispatch order asks for is made of whole slots).
SLOT_PATTERNS: Final[dict[str, SlotPattern]] = {
    "delivery": SlotPattern(first_hour=8, last_hour=20, hours=2),
    "pickup": SlotPattern(first_hour=9, last_hour=20, hours=1),
    LAST_MILE: SlotPattern(first_hour=8, last_hour=20, hours=1),
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


# --- ETA options ----------------------------------------------------------------------------------

#: ETA options are delivery slots kept apart from the scheduled ones: their row's
#: ``service_type`` is the window type (one row per store and 5-minute start).
ETA: Final = "eta"
PRIORITY_ETA: Final = "priority_eta"
#: "By" how long after the listing each promises delivery: the lower bounds of Instacart's
#: "Service options" page (priority 45 minutes to 5 hours, standard 2 to 5 hours).
ETA_LEAD: Final = {PRIORITY_ETA: timedelta(minutes=45), ETA: timedelta(hours=2)}
ETA_STEP: Final = timedelta(minutes=5)
#: An ETA option can be reserved or booked this long after its start: a 10-minute hold and a
#: little checkout (an expired hold still books).
ETA_GRACE: Final = timedelta(minutes=15)


def eta_kinds(service_type: str, *, with_eta: bool, with_priority_eta: bool) -> tuple[str, ...]:
    """The ETA options a listing adds, priority first; none for pickup (or last mile here)."""
    if service_type != "delivery":
        return ()
    wanted = ((PRIORITY_ETA, with_priority_eta), (ETA, with_eta))
    return tuple(kind for kind, asked in wanted if asked)


def eta_window(kind: str, *, now: datetime, zone: tzinfo) -> tuple[datetime, datetime] | None:
    """From the next 5-minute mark to the "By" time, in UTC; ``None`` when that falls outside
    the store's delivery hours that day (then only scheduled windows are offered)."""
    step = ETA_STEP.total_seconds()
    start = datetime.fromtimestamp(-(-now.timestamp() // step) * step, UTC)
    end = start + ETA_LEAD[kind]
    pattern = SLOT_PATTERNS["delivery"]
    day = start.astimezone(zone).date()
    opens = datetime.combine(day, time(pattern.first_hour), tzinfo=zone)
    closes = datetime.combine(day, time(pattern.last_hour), tzinfo=zone)
    return (start, end) if opens <= start and end <= closes else None


def window_type(slot_kind: str) -> str:
    """A slot row's ``window.type``: ``eta``, ``priority_eta`` or ``scheduled``."""
    return slot_kind if slot_kind in ETA_LEAD else "scheduled"


def service_of(slot_kind: str) -> str:
    """The service a slot row sells (ETA options are delivery)."""
    return "delivery" if slot_kind in ETA_LEAD else slot_kind


def option_open(slot_kind: str, window_starts_at: datetime, now: datetime) -> bool:
    """Whether a slot (scheduled or ETA) may still be reserved or booked."""
    if slot_kind in ETA_LEAD:
        return now <= window_starts_at + ETA_GRACE
    return slot_open(window_starts_at, now)


def remaining_capacity(*, capacity: int, orders: int, holds: int) -> int:
    """Places left in a slot: its capacity less live orders and other users' live holds."""
    return max(capacity - orders - holds, 0)
