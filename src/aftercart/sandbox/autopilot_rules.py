"""Pure rules of the autopilot shopper: the mix of outcomes, the seeded plan of an order, the
chat replies and the timing of its steps (``docs/autopilot_draft.md``).

Every draw comes from a :class:`random.Random` seeded with a string made of the autopilot's seed,
the retailer's order id and what is drawn for (a line, a reply). A string seed is hashed with
SHA-512 by :mod:`random` itself, never with :func:`hash`, so the same seed and order give the
same plan in every process and on every run; a line's outcome does not depend on the others.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Final

from aftercart.errors import AftercartError, InvalidParameter
from aftercart.fulfillment.rules import NO_REPLACEMENTS, USERS_CHOICE


class Outcome(StrEnum):
    FOUND = "found"
    PARTLY_FOUND = "partly_found"
    REPLACED = "replaced"
    REFUNDED = "refunded"


OUTCOMES: Final = tuple(Outcome)

#: The shopper's status each outcome is sent as (Instacart's "Update an order item as a
#: shopper").
SHOPPER_STATUS: Final[dict[Outcome, str]] = {
    Outcome.FOUND: "found",
    Outcome.PARTLY_FOUND: "found",
    Outcome.REPLACED: "replaced",
    Outcome.REFUNDED: "to_refund",
}

DEFAULT_DECISION_TIMEOUT: Final = 300
DEFAULT_STEP_SECONDS: Final = 30
MAX_SECONDS: Final = 86_400
#: A seed drawn for an autopilot that names none: short enough to read back and type.
CHOSEN_SEED_BELOW: Final = 2**31
MAX_SEED: Final = 2**53 - 1
WEIGHT_STEP: Final = Decimal("0.001")


@dataclass(frozen=True)
class Mix:
    """Relative weights of the four outcomes (they need not add up to 1)."""

    found: float = 0.7
    partly_found: float = 0.1
    replaced: float = 0.1
    refunded: float = 0.1

    def weights(self) -> list[float]:
        return [self.found, self.partly_found, self.replaced, self.refunded]


def mix_errors(mix: Mix) -> list[AftercartError]:
    """Each weight a finite number of at least 0, and at least one above 0."""
    errors: list[AftercartError] = []
    for outcome, weight in zip(OUTCOMES, mix.weights(), strict=True):
        if not math.isfinite(weight) or weight < 0:
            errors.append(InvalidParameter("must be a number of at least 0", key=f"mix.{outcome}"))
    if not errors and not math.isfinite(sum(mix.weights())):
        errors.append(InvalidParameter("must add up to a finite number", key="mix"))
    elif not errors and sum(mix.weights()) <= 0:
        errors.append(InvalidParameter("must have a weight above 0", key="mix"))
    return errors


def check_settings(
    *, seed: int | None, decision_timeout_seconds: int, step_seconds: int
) -> list[AftercartError]:
    errors: list[AftercartError] = []
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors.append(InvalidParameter(f"must be between 0 and {MAX_SEED}", key="seed"))
    if not 0 <= decision_timeout_seconds <= MAX_SECONDS:
        errors.append(
            InvalidParameter(f"must be between 0 and {MAX_SECONDS}", key="decision_timeout_seconds")
        )
    if not 1 <= step_seconds <= MAX_SECONDS:
        errors.append(InvalidParameter(f"must be between 1 and {MAX_SECONDS}", key="step_seconds"))
    return errors


# --- The plan of an order ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """What the plan needs of an order line. ``choices`` is how many of the customer's
    ``replacement_items`` name a product of the catalog (``users_choice`` lines)."""

    line_num: str
    count: int | None
    weight: Decimal | None
    replacement_policy: str
    choices: int = 0


@dataclass(frozen=True)
class Pick:
    """What the shopper does with one line. ``replacement`` is an index: into the line's
    ``replacement_items`` for a ``users_choice`` line, else into the catalog's other products
    (in id order); ``None`` unless ``outcome`` is replaced."""

    line_num: str
    outcome: Outcome
    delivered_count: int | None
    delivered_weight: Decimal | None
    replacement: int | None = None

    @property
    def shopper_status(self) -> str:
        return SHOPPER_STATUS[self.outcome]


def line_random(seed: int, order_id: str, line_num: str) -> random.Random:
    return random.Random(f"autopilot:{seed}:{order_id}:line:{line_num}")


def pick(seed: int, order_id: str, line: Line, mix: Mix, *, catalog_size: int) -> Pick:
    """The line's outcome, drawn with the mix's weights, and what it delivers.

    Where the drawn outcome cannot be played it becomes the nearest one that can: a partial
    find of a single unit (or of nothing) is a find; a replacement is a refund when the line
    allows none (``no_replacements``, ``users_choice`` without a choice in the catalog) or
    the catalog has no other product (``catalog_size`` counts the products other than the
    line's own).
    """
    rng = line_random(seed, order_id, line.line_num)
    outcome = rng.choices(OUTCOMES, weights=mix.weights())[0]
    if outcome is Outcome.PARTLY_FOUND:
        partial = _partly(rng, line)
        if partial is not None:
            return Pick(line.line_num, outcome, *partial)
        outcome = Outcome.FOUND
    if outcome is Outcome.REPLACED:
        candidates = _replacement_candidates(line, catalog_size)
        if candidates:
            index = rng.randrange(candidates)
            return Pick(line.line_num, outcome, line.count, line.weight, index)
        outcome = Outcome.REFUNDED
    if outcome is Outcome.REFUNDED:
        return Pick(line.line_num, outcome, 0, None)
    return Pick(line.line_num, Outcome.FOUND, line.count, line.weight)


def _partly(rng: random.Random, line: Line) -> tuple[int | None, Decimal | None] | None:
    """Fewer units than ordered (at least one), or a lighter weight; ``None`` when there is
    nothing below the ordered amount to deliver."""
    if line.count is not None and line.count >= 2:
        return rng.randint(1, line.count - 1), None
    if line.count is None and line.weight is not None:
        share = Decimal(rng.randint(50, 90)) / 100
        weight = (line.weight * share).quantize(WEIGHT_STEP, rounding=ROUND_DOWN)
        if 0 < weight < line.weight:
            return None, weight
    return None


def _replacement_candidates(line: Line, catalog_size: int) -> int:
    if line.replacement_policy == NO_REPLACEMENTS:
        return 0
    if line.replacement_policy == USERS_CHOICE:
        return line.choices
    return catalog_size


def plan(
    seed: int, order_id: str, lines: Sequence[Line], mix: Mix, *, catalog_size: int
) -> list[Pick]:
    return [pick(seed, order_id, line, mix, catalog_size=catalog_size) for line in lines]


# --- Chat ----------------------------------------------------------------------------------------

REPLIES: Final[dict[str, tuple[str, ...]]] = {
    "shopping": (
        "Thanks for your message! I'm shopping for your order now.",
        "Got it, thanks! I'll keep that in mind while I shop.",
        "Thanks! I'm in the store picking your items.",
    ),
    "replacements": (
        "Thanks! Please check the replacements I suggested when you can.",
        "Got it! I'm waiting for your answer on the replacements before I check out.",
    ),
    "checkout": (
        "Thanks! I'm checking out now.",
        "Got it, thanks! I'm at the register.",
    ),
    "delivering": (
        "Thanks! I'm on my way to you.",
        "Got it! I'm driving over with your order now.",
    ),
}
#: The part of the trip each batch state's replies speak of.
REPLY_TOPICS: Final[dict[str, str]] = {
    "acknowledged": "shopping",
    "picking": "shopping",
    "verifying_replacements": "replacements",
    "checkout": "checkout",
    "receipt_sanity_check": "checkout",
    "delivering": "delivering",
}


def chat_reply(seed: int, order_id: str, ordinal: int, state: str) -> str:
    """The reply to the customer's ``ordinal``-th message (from 1) of the order, written while
    the batch is in ``state``."""
    options = REPLIES[REPLY_TOPICS.get(state, "shopping")]
    rng = random.Random(f"autopilot:{seed}:{order_id}:reply:{ordinal}")
    return rng.choice(options)


# --- Timing --------------------------------------------------------------------------------------


def take_due(free_at: datetime, order_created_at: datetime) -> datetime:
    """An order is taken once it exists and the shopper is free."""
    return max(free_at, order_created_at)


def wait_over(*, now: datetime, waiting_since: datetime, timeout: int, pending: int) -> bool:
    """The wait for the customer's decisions ends when none is pending, or on the timeout."""
    return pending == 0 or now >= waiting_since + timedelta(seconds=timeout)


def next_wait_check(*, now: datetime, waiting_since: datetime, timeout: int, step: int) -> datetime:
    """The next look at the decisions: a step later, but never past the timeout."""
    return min(now + timedelta(seconds=step), waiting_since + timedelta(seconds=timeout))


def trip_over(*, now: datetime, started_at: datetime, trip_seconds: float) -> bool:
    """Whether the shopper has reached the customer (the path takes ``trip_seconds``)."""
    return (now - started_at).total_seconds() >= trip_seconds
