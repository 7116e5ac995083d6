"""Scenario files (``docs/scenarios.md``): a named sequence of shopper actions, waits, triggers
and expected callbacks for one order, read from YAML and checked before anything is played.

Every problem names the file and line of the step it is about, and all of them are told at
once. What a step does is :mod:`aftercart.sandbox.scenario_runner`'s; this module only reads.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import yaml

from aftercart.sandbox import rules

#: Batch states a scenario can move the order's batch to (the sandbox's batch walk).
STATES: Final = tuple(rules.STATE_EVENTS)
#: What the sandbox's ``/callbacks`` endpoint simulates.
CALLBACKS: Final = ("canceled", "rescheduled", "late_delivery")
#: The longest ``wait`` a scenario may ask for.
MAX_WAIT_SECONDS: Final = 600.0
ALL: Final = "all"

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m)$")
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class Step:
    line: int
    kind: str
    argument: Any

    def describe(self) -> str:
        return f"{self.kind}: {self.argument!r}" if self.argument is not None else self.kind


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    steps: tuple[Step, ...]


class ScenarioError(ValueError):
    """The file cannot be played; ``problems`` are ``file:line: message`` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def parse_duration(value: Any) -> float:
    """Seconds, from ``2s``, ``500ms``, ``1m`` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if match is None:
            raise ValueError(f"{value!r} is not a duration such as 2s, 500ms or 1m")
        seconds = float(match[1]) * _UNITS[match[2]]
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise ValueError(f"must be between 0 and {MAX_WAIT_SECONDS:g} seconds")
    return seconds


def _line_ref(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
        raise ValueError(f"{value!r} is not a line_num")
    return str(value)


def _lines(value: Any) -> Any:
    """``all``, or a list of line numbers."""
    if value == ALL:
        return ALL
    if not isinstance(value, list) or not value:
        raise ValueError("must be `all` or a list of line numbers")
    return [_line_ref(v) for v in value]


def _found(value: Any) -> Any:
    """``all``, a list of lines (found in full), or lines with the amount found (an integer
    is a count, a decimal a weight)."""
    if not isinstance(value, Mapping):
        return _lines(value)
    amounts: dict[str, int | float] = {}
    for line, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise ValueError(f"the amount of line {line!r} must be a number of at least 0")
        amounts[_line_ref(line)] = amount
    return amounts


def _replace(value: Any) -> dict[str, str]:
    """Lines (or ``all``) with the UPC or RRC of their replacement."""
    if not isinstance(value, Mapping) or not value:
        raise ValueError("must map lines (or `all`) to the UPC or RRC of the replacement")
    out: dict[str, str] = {}
    for line, code in value.items():
        if not isinstance(code, str | int) or isinstance(code, bool) or str(code) == "":
            raise ValueError(f"the replacement of line {line!r} must be a UPC or an RRC")
        out[ALL if line == ALL else _line_ref(line)] = str(code)
    return out


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value


def _one_of(choices: Sequence[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return str(value)

    return check


def _trigger(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"event_name": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("event_name"), str):
        raise ValueError("must be an event name, or an object with event_name")
    unknown = set(value) - {"event_name", "overrides", "line_num"}
    if unknown:
        raise ValueError("takes event_name, overrides and line_num, not " + ", ".join(unknown))
    return dict(value)


def _names(value: Any) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError("must be an event name or a list of event names")
    return list(names)


#: Each step's name and how its argument is read.
STEP_KINDS: Final[dict[str, Callable[[Any], Any]]] = {
    "advance": _one_of(STATES),
    "found": _found,
    "replace": _replace,
    "refund": _lines,
    "chat": _text,
    "callback": _one_of(CALLBACKS),
    "trigger": _trigger,
    "wait": parse_duration,
    "expect": _names,
}


def parse(text: str, source: str = "<scenario>") -> Scenario:
    """The scenario in ``text`` (a YAML mapping with ``name``, ``description``? and ``steps``, a
    list of one-key mappings); :class:`ScenarioError` with every problem otherwise."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "1"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{source}:{line}: not YAML: {reason}"]) from None
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise ScenarioError([f"{source}:1: must be a mapping with name and steps"])
    problems: list[str] = []
    nodes = {key.value: value for key, value in root.value}
    unknown = set(data) - {"name", "description", "steps"}
    for key in sorted(unknown, key=str):
        problems.append(f"{source}:{nodes[key].start_mark.line + 1}: unknown key {key!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{source}:1: name: must be a non-empty text")
    description = data.get("description", "")
    steps_node = nodes.get("steps")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps or steps_node is None:
        problems.append(f"{source}:1: steps: must be a non-empty list")
        raise ScenarioError(problems)
    steps = []
    for raw, node in zip(raw_steps, steps_node.value, strict=True):
        line = node.start_mark.line + 1
        try:
            steps.append(_step(raw, line))
        except ValueError as exc:
            problems.append(f"{source}:{line}: {exc}")
    if problems:
        raise ScenarioError(problems)
    return Scenario(str(name), str(description or ""), tuple(steps))


def _step(raw: Any, line: int) -> Step:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError("a step is a mapping of one step name to its argument")
    ((kind, argument),) = raw.items()
    reader = STEP_KINDS.get(kind)
    if reader is None:
        raise ValueError(f"unknown step {kind!r} (steps: {', '.join(STEP_KINDS)})")
    try:
        return Step(line, kind, reader(argument))
    except ValueError as exc:
        raise ValueError(f"{kind}: {exc}") from None


def missing(expected: Sequence[str], written: Sequence[str]) -> list[str]:
    """The expected event names not found, in order, among ``written`` (each expected name is
    matched by a later event than the previous one's)."""
    position = 0
    absent: list[str] = []
    for name in expected:
        try:
            position = written.index(name, position) + 1
        except ValueError:
            absent.append(name)
    return absent


def resolve_lines(selection: Any, lines: Sequence[str]) -> list[str]:
    """``all`` as the order's lines, else the lines named."""
    return list(lines) if selection == ALL else list(selection)
