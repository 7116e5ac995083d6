"""Pure rules of the dashboard: reading the filters from a query string, the days of the
ratings chart, the geometry of the server-drawn SVG charts, and how the monitor shows answers.

Days are UTC days: ratings are stored in UTC and the dashboard serves stores in many zones.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from aftercart.fulfillment.rules import STATUS_BY_WORKFLOW_STATE

#: The workflow states of orders that are over: delivered (or picked up) and canceled.
FINISHED_STATES: Final = frozenset(
    state
    for state, status in STATUS_BY_WORKFLOW_STATE.items()
    if status in ("delivered", "canceled")
)
#: The most days the per-day chart draws; a longer range shows its last days.
MAX_CHART_DAYS: Final = 92
#: Sources the filter offers even before any rating of theirs is stored.
KNOWN_SOURCES: Final = ("connect", "yandex_eats")
SOURCE_NAMES: Final = {"connect": "Connect", "yandex_eats": "Yandex Eats"}


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source.replace("_", " ").capitalize())


# --- Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The ratings filters as the form shows them (strings, as typed) and as the queries take
    them (``since`` inclusive, ``until`` exclusive, both UTC midnights)."""

    source: str = ""
    store: str = ""
    shopper: str = ""
    since_day: str = ""
    until_day: str = ""
    shopper_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def first_day(self) -> date | None:
        return self.since.date() if self.since else None

    @property
    def last_day(self) -> date | None:
        return (self.until - timedelta(days=1)).date() if self.until else None

    def query(self) -> dict[str, str]:
        """The filters as query parameters (only those set), for links that keep them."""
        pairs = {
            "source": self.source,
            "store": self.store,
            "shopper": self.shopper,
            "since": self.since_day,
            "until": self.until_day,
        }
        return {key: value for key, value in pairs.items() if value}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def parse_filters(params: Mapping[str, str]) -> Filters:
    """The filters from a query string. A value that does not parse is reported in ``errors``
    (by field) and left out of the query, so the page still shows the rest."""
    source = params.get("source", "").strip()
    store = params.get("store", "").strip()
    shopper = params.get("shopper", "").strip()
    since_day = params.get("since", "").strip()
    until_day = params.get("until", "").strip()
    errors: dict[str, str] = {}
    shopper_id = None
    if shopper:
        if shopper.isdigit() and 0 < int(shopper) < 2**31:
            shopper_id = int(shopper)
        else:
            errors["shopper"] = "A shopper id is a whole number, such as 42."
    since = until = None
    if since_day:
        first = _day(since_day)
        if first is None:
            errors["since"] = "Enter a date as YYYY-MM-DD."
        else:
            since = midnight(first)
    if until_day:
        last = _day(until_day)
        if last is None:
            errors["until"] = "Enter a date as YYYY-MM-DD."
        else:
            # The form's "to" day is included: the query's bound is the next midnight.
            until = midnight(last + timedelta(days=1))
    if since is not None and until is not None and until <= since:
        errors["until"] = "The last day must not be before the first day."
        until = None
    return Filters(source, store, shopper, since_day, until_day, shopper_id, since, until, errors)


# --- Days ----------------------------------------------------------------------------------------


def days_series(
    counts: Mapping[date, int], *, first: date | None = None, last: date | None = None
) -> list[tuple[date, int]]:
    """Every day from ``first`` to ``last`` (default: the first and last day with ratings) with
    its count, days without ratings as 0; at most :data:`MAX_CHART_DAYS`, the latest ones."""
    if not counts and (first is None or last is None):
        return []
    start = first or min(counts)
    end = last or max(counts)
    if end < start:
        return []
    start = max(start, end - timedelta(days=MAX_CHART_DAYS - 1))
    span = (end - start).days + 1
    return [(day, counts.get(day, 0)) for day in (start + timedelta(n) for n in range(span))]


# --- Charts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class ColumnChart:
    """Vertical bars, one per day, in a ``width`` by ``height`` view box."""

    width: int
    height: int
    plot_top: float
    plot_bottom: float
    plot_left: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    first_label: str
    last_label: str


def nice_max(largest: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at least ``largest`` (and at least 1)."""
    if largest <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= largest:
                return factor * step
        step *= 10


def column_chart(
    points: Sequence[tuple[str, int]], *, width: int = 360, height: int = 180
) -> ColumnChart:
    """Bars scaled to :func:`nice_max` of the counts, with a tick at 0, half and the top."""
    top, bottom, left, right = 12.0, height - 28.0, 40.0, 8.0
    plot_height = bottom - top
    axis = nice_max(max((value for _, value in points), default=0))
    slot = (width - left - right) / max(len(points), 1)
    gap = min(slot * 0.2, 4.0)
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = plot_height * value / axis
        bars.append(
            Bar(
                x=round(left + index * slot + gap / 2, 2),
                y=round(bottom - bar_height, 2),
                width=round(slot - gap, 2),
                height=round(bar_height, 2),
                label=label,
                value=value,
            )
        )
    values = sorted({0, axis // 2, axis}) if axis >= 2 else [0, axis]
    ticks = tuple(Tick(round(bottom - plot_height * v / axis, 2), v) for v in values)
    return ColumnChart(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        plot_left=left,
        bars=tuple(bars),
        ticks=ticks,
        first_label=points[0][0] if points else "",
        last_label=points[-1][0] if points else "",
    )


@dataclass(frozen=True)
class Row:
    """One horizontal bar with its label and figure drawn beside it."""

    y: float
    width: float
    label: str
    value: int
    share: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bar_left: float
    bar_height: float
    rows: tuple[Row, ...]


def percent(part: int, whole: int) -> int:
    """``part`` as a whole percentage of ``whole`` (0 when ``whole`` is 0)."""
    return round(100 * part / whole) if whole else 0


def bar_chart(
    points: Sequence[tuple[str, int]], *, width: int = 360, row_height: int = 32
) -> BarChart:
    """Horizontal bars, the longest the largest count, leaving room for a label on the left and
    the figure on the right."""
    left, right = 72.0, 96.0
    room = width - left - right
    largest = max((value for _, value in points), default=0)
    total = sum(value for _, value in points)
    rows = tuple(
        Row(
            y=float(index * row_height),
            width=round(room * value / largest, 2) if largest else 0.0,
            label=label,
            value=value,
            share=percent(value, total),
        )
        for index, (label, value) in enumerate(points)
    )
    return BarChart(
        width=width,
        height=row_height * max(len(points), 1),
        bar_left=left,
        bar_height=row_height * 0.6,
        rows=rows,
    )


def stars_text(average: float | None) -> str:
    """``4.25`` → ``4.3 of 5``; no ratings → ``no ratings``."""
    return "no ratings" if average is None else f"{average:.1f} of 5"


def stars_label(stars: int) -> str:
    return f"{stars} star{'' if stars == 1 else 's'}"


# --- The monitor ---------------------------------------------------------------------------------


def status_kind(status: int) -> str:
    """The badge of an answer's status: ``succeeded`` below 400, ``pending`` (amber) for a
    client's error, ``failed`` for a server's."""
    if status < 400:
        return "succeeded"
    return "pending" if status < 500 else "failed"


def pretty_body(text: str) -> str:
    """A JSON body indented for reading; anything else (a form, a trimmed body) as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return text
