"""The pure parts of triggers (``docs/sandbox.md``, "Triggers"): which names may be triggered,
how ``overrides`` are read and merged into an event's metadata, how ``--set`` values are read."""

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, TypeVar

from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors
from aftercart.events import names

#: Every callback Aftercart sends about an order. A marketplace's feedback is about the
#: marketplace's order, not ours, and ``webhook.test`` about a subscription.
TRIGGERABLE: Final = tuple(name for name in names.ALL if name != names.MARKETPLACE_FEEDBACK)
#: Set by the order itself (``record_event``): an override may not move an event to another order.
ORDER_FIELDS: Final = frozenset({"order_id", "user_id", "location_code"})


def check_event_name(name: str | None) -> str:
    if name not in TRIGGERABLE:
        raise InvalidParameter(
            "is not included in the list: " + ", ".join(TRIGGERABLE), key="event_name"
        )
    return name


class Line(Protocol):
    @property
    def line_num(self) -> str: ...


L = TypeVar("L", bound=Line)


def pick_line(lines: Sequence[L], fits: Callable[[L], bool], line_num: str | None) -> L | None:
    """The line an item event is about: ``line_num`` when given (refused, key ``line_num``, when
    the order has no such line), else the first line that fits the event, else the first line."""
    if line_num is not None:
        named = next((line for line in lines if line.line_num == line_num), None)
        if named is None:
            raise InvalidParameter("is not a line of the order", key="line_num")
        return named
    return next((line for line in lines if fits(line)), lines[0] if lines else None)


def check_line_num(name: str, line_num: str | None, item_events: Sequence[str]) -> None:
    """``line_num`` names the line of an item event; for any other event it is refused."""
    if line_num is not None and name not in item_events:
        raise InvalidParameter(
            "applies only to item events: " + ", ".join(item_events), key="line_num"
        )


def check_overrides(raw: Any) -> dict[str, Any]:
    """``overrides`` as given: absent or ``null`` is none, anything but an object is refused."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidParameter("must be an object", key="overrides")
    return raw


def parse_value(text: str) -> Any:
    """A ``--set`` value: JSON when it reads as JSON (``3``, ``true``, ``null``, ``{"a": 1}``),
    else the text itself (``Sam``)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """``["item.status=found", "late=true"]`` → ``{"item.status": "found", "late": True}``."""
    overrides: dict[str, Any] = {}
    for assignment in assignments:
        path, sign, value = assignment.partition("=")
        if not sign or not path.strip():
            raise InvalidParameter(f"{assignment!r} is not FIELD=VALUE", key="--set")
        overrides[path.strip()] = parse_value(value)
    return overrides


def apply_overrides(metadata: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``metadata`` with each override set. A key is a dotted path (``item.status``,
    ``items.0.status``: a number indexes a list); a missing object on the way is created; the
    value replaces what was there whole, objects included. Every bad path is reported at once."""
    merged = copy.deepcopy(metadata)
    problems: list[AftercartError] = []
    for path, value in overrides.items():
        problem = _set(merged, path, copy.deepcopy(value))
        if problem is not None:
            problems.append(InvalidParameter(problem, key=f"overrides.{path}"))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise MultipleErrors(problems)
    return merged


def _set(target: dict[str, Any], path: str, value: Any) -> str | None:
    """Sets ``path`` in ``target``; returns what is wrong with the path, if anything."""
    parts = path.split(".")
    if any(part == "" for part in parts):
        return "is not a field path"
    if parts[0] in ORDER_FIELDS:
        return "is set by the order and cannot be overridden"
    here: Any = target
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(here, list):
            if not part.isdigit() or int(part) >= len(here):
                return f"has no element {part} in {'.'.join(parts[:depth]) or 'the list'}"
            index = int(part)
            if last:
                here[index] = value
            else:
                here = here[index]
        elif isinstance(here, dict):
            if last:
                here[part] = value
            else:
                if here.get(part) is None:
                    here[part] = {}
                here = here[part]
        else:
            return f"cannot set a field inside {'.'.join(parts[:depth])}, which is not an object"
    return None
