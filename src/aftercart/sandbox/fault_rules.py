"""The pure rules of sandbox faults (``docs/sandbox.md``, "Faults"): what a rule may say, what it
matches, and the draw that decides whether it fires.

**Patterns** are globs: ``*`` stands for any run of characters, ``/`` and ``.`` included, and
every other character stands for itself. A path pattern is matched against the whole request
path without its query (``/v2/post_checkout/*`` matches every path below it, ``*`` every path);
an event pattern against the whole event name (``fulfillment.*``). One wildcard, no character
classes: paths hold ``?`` and ``[`` only as literal characters, and a glob a developer reads at a
glance is worth more here than regular expressions.

**The draw** of a rule's n-th consultation (n counts from 0, kept in the database) depends only
on the rule's seed and n: a generator seeded with both gives first the number that decides
whether the rule fires (below ``probability``), then the delay of a ranged latency. So a seed
replays the same faults in the same order, whichever process serves each request.
"""

import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors

#: The sandbox's own fault routes: never faulted, so that a developer can always remove a rule.
FAULTS_PATH: Final = "/v2/fulfillment_sandbox/faults"
ANY: Final = "*"
METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
ERROR_STATUSES: Final = (429, 500, 503)
#: The statuses that tell a client when to come back (``Retry-After``).
RETRY_AFTER_STATUSES: Final = (429, 503)
DEFAULT_RETRY_AFTER_SECONDS: Final = 1
MAX_RETRY_AFTER_SECONDS: Final = 86_400
#: Longer than any client timeout worth testing, and inside a webhook delivery's lease budget.
MAX_DELAY_MS: Final = 45_000
#: How long a ``reorder`` holds a delivery back at most, waiting for a later one to go first.
DEFAULT_HOLD_MS: Final = 5_000
#: Seeds JavaScript reads exactly (2**53 - 1).
MAX_SEED: Final = 2**53 - 1
MAX_PATH_PATTERN: Final = 500
MAX_EVENT_PATTERN: Final = 200
_EVENT_PATTERN = re.compile(r"[A-Za-z0-9_.*-]+")


class Target(StrEnum):
    API = "api"
    WEBHOOK = "webhook"


class Kind(StrEnum):
    LATENCY = "latency"
    ERROR = "error"
    DROP = "drop"
    SLOW = "slow"
    DUPLICATE = "duplicate"
    REORDER = "reorder"


KINDS: Final = {
    Target.API: (Kind.LATENCY, Kind.ERROR, Kind.DROP),
    Target.WEBHOOK: (Kind.SLOW, Kind.DUPLICATE, Kind.REORDER),
}
_RANGED = (Kind.LATENCY, Kind.SLOW)
#: Notes a problem: the field's key and the message.
Refuse = Callable[[str, str], None]


@dataclass(frozen=True)
class Effect:
    """What a fired rule does. ``min_ms``..``max_ms`` is a latency or slowness drawn uniformly
    (equal for a fixed one) or a ``reorder``'s longest hold; ``status`` and ``retry_after`` are
    an ``error``'s."""

    kind: Kind
    min_ms: int = 0
    max_ms: int = 0
    status: int | None = None
    retry_after: int | None = None

    def params(self) -> dict[str, int]:
        """The effect's parameters as stored and shown: ``ms`` when fixed, else the range."""
        params: dict[str, int] = {}
        if self.kind in _RANGED or self.kind is Kind.REORDER:
            if self.min_ms == self.max_ms:
                params["ms"] = self.min_ms
            else:
                params |= {"min_ms": self.min_ms, "max_ms": self.max_ms}
        if self.status is not None:
            params["status"] = self.status
        if self.retry_after is not None:
            params["retry_after"] = self.retry_after
        return params

    @classmethod
    def of(cls, kind: str, params: dict[str, int]) -> "Effect":
        """The effect stored as ``kind`` and :meth:`params`."""
        low = params.get("min_ms", params.get("ms", 0))
        return cls(
            Kind(kind),
            min_ms=low,
            max_ms=params.get("max_ms", low),
            status=params.get("status"),
            retry_after=params.get("retry_after"),
        )


@dataclass(frozen=True)
class Rule:
    """``method`` is a method or ``*``; ``pattern`` a path glob (api) or an event glob
    (webhook)."""

    target: Target
    method: str
    pattern: str
    probability: float
    seed: int
    effect: Effect


@dataclass(frozen=True)
class EffectInput:
    """An effect as a request gives it, before :func:`build_rule` judges it."""

    type: str
    ms: int | None = None
    min_ms: int | None = None
    max_ms: int | None = None
    status: int | None = None
    retry_after: int | None = None


# --- Validation ------------------------------------------------------------------------------


def build_rule(
    *,
    target: str,
    method: str | None,
    path: str | None,
    event: str | None,
    probability: float,
    seed: int,
    effect: EffectInput,
) -> Rule:
    """The rule a request describes, or every problem with it at once (key: the field)."""
    problems: list[AftercartError] = []

    def refuse(key: str, message: str) -> None:
        problems.append(InvalidParameter(message, key=key))

    if target not in tuple(Target):
        refuse("target", "is not included in the list: api, webhook")
        raise _all(problems)
    aim = Target(target)
    pattern = _pattern(aim, method=method, path=path, event=event, refuse=refuse)
    if not (math.isfinite(probability) and 0 <= probability <= 1):
        refuse("probability", "must be between 0 and 1")
    if not 0 <= seed <= MAX_SEED:
        refuse("seed", f"must be between 0 and {MAX_SEED}")
    built = _effect(aim, effect, refuse)
    if problems or built is None:
        raise _all(problems)
    verb = ANY if aim is Target.WEBHOOK or method is None else method.upper()
    return Rule(aim, verb, pattern, probability, seed, built)


def _all(problems: list[AftercartError]) -> AftercartError:
    return problems[0] if len(problems) == 1 else MultipleErrors(problems)


def _pattern(
    target: Target, *, method: str | None, path: str | None, event: str | None, refuse: Refuse
) -> str:
    if target is Target.WEBHOOK:
        if method is not None and method != ANY:
            refuse("method", "applies only to api faults")
        if path is not None:
            refuse("path", "applies only to api faults")
        pattern = ANY if event is None else event
        if len(pattern) > MAX_EVENT_PATTERN:
            refuse("event", f"is too long (maximum is {MAX_EVENT_PATTERN} characters)")
        elif not _EVENT_PATTERN.fullmatch(pattern):
            refuse("event", "is invalid (an event name, with * for any characters)")
        return pattern
    if event is not None:
        refuse("event", "applies only to webhook faults")
    if method is not None and method.upper() not in (*METHODS, ANY):
        refuse("method", "is not included in the list: " + ", ".join((*METHODS, ANY)))
    if path is None or path == "":
        refuse("path", "can't be blank")
        return ""
    if len(path) > MAX_PATH_PATTERN:
        refuse("path", f"is too long (maximum is {MAX_PATH_PATTERN} characters)")
    elif not (path == ANY or path.startswith("/")):
        refuse("path", "must start with / (or be * for every path)")
    return path


def _effect(target: Target, given: EffectInput, refuse: Refuse) -> Effect | None:
    kinds = KINDS[target]
    if given.type not in kinds:
        refuse("effect.type", f"is not an effect of {target} faults: " + ", ".join(kinds))
        return None
    kind = Kind(given.type)
    allowed = {
        Kind.LATENCY: ("ms", "min_ms", "max_ms"),
        Kind.SLOW: ("ms", "min_ms", "max_ms"),
        Kind.REORDER: ("ms",),
        Kind.ERROR: ("status", "retry_after"),
    }.get(kind, ())
    for name in ("ms", "min_ms", "max_ms", "status", "retry_after"):
        if getattr(given, name) is not None and name not in allowed:
            refuse(f"effect.{name}", f"does not apply to {kind}")
    if kind in _RANGED:
        return _ranged(kind, given, refuse)
    if kind is Kind.REORDER:
        hold = DEFAULT_HOLD_MS if given.ms is None else given.ms
        if not _delay_ok(hold):
            refuse("effect.ms", f"must be between 0 and {MAX_DELAY_MS}")
        return Effect(kind, min_ms=hold, max_ms=hold)
    if kind is Kind.ERROR:
        return _error(given, refuse)
    return Effect(kind)


def _delay_ok(ms: int) -> bool:
    return 0 <= ms <= MAX_DELAY_MS


def _ranged(kind: Kind, given: EffectInput, refuse: Refuse) -> Effect | None:
    if given.ms is not None:
        if given.min_ms is not None or given.max_ms is not None:
            refuse("effect.ms", "give either ms or min_ms and max_ms")
        elif not _delay_ok(given.ms):
            refuse("effect.ms", f"must be between 0 and {MAX_DELAY_MS}")
        return Effect(kind, min_ms=given.ms, max_ms=given.ms)
    if given.min_ms is None and given.max_ms is None:
        refuse("effect.ms", "can't be blank (give ms, or min_ms and max_ms)")
        return None
    for name in ("min_ms", "max_ms"):
        value = getattr(given, name)
        if value is None:
            refuse(f"effect.{name}", "can't be blank")
        elif not _delay_ok(value):
            refuse(f"effect.{name}", f"must be between 0 and {MAX_DELAY_MS}")
    if given.min_ms is None or given.max_ms is None:
        return None
    if given.min_ms > given.max_ms:
        refuse("effect.max_ms", "must be greater than or equal to min_ms")
    return Effect(kind, min_ms=given.min_ms, max_ms=given.max_ms)


def _error(given: EffectInput, refuse: Refuse) -> Effect | None:
    if given.status is None:
        refuse("effect.status", "can't be blank")
        return None
    if given.status not in ERROR_STATUSES:
        refuse("effect.status", "is not included in the list: 429, 500, 503")
        return None
    if given.status not in RETRY_AFTER_STATUSES:
        if given.retry_after is not None:
            refuse("effect.retry_after", "applies only to 429 and 503")
        return Effect(Kind.ERROR, status=given.status)
    retry_after = DEFAULT_RETRY_AFTER_SECONDS if given.retry_after is None else given.retry_after
    if not 0 <= retry_after <= MAX_RETRY_AFTER_SECONDS:
        refuse("effect.retry_after", f"must be between 0 and {MAX_RETRY_AFTER_SECONDS}")
    return Effect(Kind.ERROR, status=given.status, retry_after=retry_after)


# --- Matching --------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split(ANY)), re.DOTALL)


def glob_matches(pattern: str, text: str) -> bool:
    return _glob(pattern).fullmatch(text) is not None


def is_faults_path(path: str) -> bool:
    return path == FAULTS_PATH or path.startswith(FAULTS_PATH + "/")


def matches_request(rule: Rule, method: str, path: str) -> bool:
    """Whether ``rule`` applies to a request (the fault routes are never matched)."""
    return (
        rule.target is Target.API
        and rule.method in (ANY, method.upper())
        and not is_faults_path(path)
        and glob_matches(rule.pattern, path)
    )


def matches_delivery(rule: Rule, event_name: str) -> bool:
    return rule.target is Target.WEBHOOK and glob_matches(rule.pattern, event_name)


# --- The draw and what the fired rules add up to ---------------------------------------------


@dataclass(frozen=True)
class Draw:
    fired: bool
    #: The latency or slowness drawn (a ``reorder``'s longest hold); 0 when not fired.
    delay_ms: int = 0


def draw(rule: Rule, n: int) -> Draw:
    """The outcome of the rule's ``n``-th consultation (from 0); the same for the same seed and
    ``n`` on every run and in every process (a string seed is hashed with SHA-512)."""
    rng = random.Random(f"{rule.seed}:{n}")
    if not rng.random() < rule.probability:
        return Draw(False)
    effect = rule.effect
    return Draw(True, rng.randint(effect.min_ms, effect.max_ms))


@dataclass(frozen=True)
class RequestFault:
    """What the fired rules do to one answer: every latency adds up, and the first ``error`` or
    ``drop`` (by rule id) replaces or cuts the answer. ``rule_ids`` are the rules that fired."""

    delay_ms: int = 0
    cut: Effect | None = None
    rule_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DeliveryFault:
    """What the fired rules do to one webhook delivery: ``hold_ms`` at most waiting for a later
    delivery of the subscription to go first, then ``delay_ms`` before sending it, and with
    ``duplicate`` the same message (same ``webhook-id``) sent twice."""

    delay_ms: int = 0
    hold_ms: int = 0
    duplicate: bool = False

    def __bool__(self) -> bool:
        return bool(self.delay_ms or self.hold_ms or self.duplicate)


def request_fault(drawn: Iterable[tuple[int, Rule, Draw]]) -> RequestFault:
    """Combines the draws of the rules matching one request, given in rule id order."""
    delay, cut, fired = 0, None, []
    for rule_id, rule, outcome in drawn:
        if not outcome.fired:
            continue
        fired.append(rule_id)
        if rule.effect.kind is Kind.LATENCY:
            delay += outcome.delay_ms
        elif cut is None:
            cut = rule.effect
    return RequestFault(delay, cut, tuple(fired))


def delivery_fault(drawn: Sequence[tuple[Rule, Draw]]) -> DeliveryFault:
    """Combines the draws of the rules matching one delivery: delays and holds add up."""
    delay = hold = 0
    duplicate = False
    for rule, outcome in drawn:
        if not outcome.fired:
            continue
        match rule.effect.kind:
            case Kind.SLOW:
                delay += outcome.delay_ms
            case Kind.REORDER:
                hold += outcome.delay_ms
            case Kind.DUPLICATE:
                duplicate = True
    return DeliveryFault(delay, hold, duplicate)
