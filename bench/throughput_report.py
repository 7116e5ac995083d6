"""The figures of ``bench/api_throughput.py``: medians over rounds, ratios, goals, table, JSON."""

import statistics
from dataclasses import asdict, dataclass, field

from bench import wrk
from bench.machine import Facts

TARGETS = ("aftercart", "reference", "floor", "prism")

#: Every wrk run, by (path label, target), in round order.
Loads = dict[tuple[str, str], list[wrk.Load]]


@dataclass(frozen=True)
class Goal:
    ratio: float
    #: Aftercart must beat Prism by this factor; None where Prism does not serve the path.
    over_prism: float | None

    def __str__(self) -> str:
        prism = f" and ≥ {self.over_prism:g} × Prism" if self.over_prism else ""
        return f"ratio ≥ {self.ratio:g}{prism}"


@dataclass(frozen=True)
class HotPath:
    label: str
    path: str
    request: wrk.Request
    goal: Goal
    on_prism: bool = False
    #: Loaded on bench/query_floor.py too (the reads: one query each).
    on_floor: bool = False


@dataclass(frozen=True)
class Summary:
    """The median of each figure over the rounds; failed if any round failed."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    failed: bool
    rounds: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    machine: Facts
    database: str
    options: dict[str, object]
    prism_reason: str
    prism_refusals: dict[str, str]
    paths: list[HotPath]
    loads: Loads
    #: The driver bench/query_floor.py ran its statements through.
    floor_driver: str = ""


def summary(loads: list[wrk.Load]) -> Summary | None:
    if not loads:
        return None
    return Summary(
        requests_per_s=statistics.median(n.requests_per_s for n in loads),
        p50_ms=statistics.median(n.p50_ms for n in loads),
        p99_ms=statistics.median(n.p99_ms for n in loads),
        failed=any(n.failed for n in loads),
        rounds=[n.requests_per_s for n in loads],
    )


@dataclass(frozen=True)
class Row:
    hot: HotPath
    aftercart: Summary | None
    reference: Summary | None
    prism: Summary | None
    floor: Summary | None = None

    @property
    def ratio(self) -> float | None:
        return _divide(self.aftercart, self.reference)

    @property
    def floor_ratio(self) -> float | None:
        """The query floor's rate over the reference's."""
        return _divide(self.floor, self.reference)

    @property
    def over_floor(self) -> float | None:
        return _divide(self.aftercart, self.floor)

    @property
    def over_prism(self) -> float | None:
        return _divide(self.aftercart, self.prism)

    @property
    def met(self) -> str:
        if _broken(self.aftercart) or _broken(self.reference):
            return "FAILED"
        assert self.ratio is not None
        if self.ratio < self.hot.goal.ratio:
            return "no"
        if self.hot.goal.over_prism is None:
            return "yes"
        if self.over_prism is None:
            return "ratio only (no Prism)"
        return "yes" if self.over_prism >= self.hot.goal.over_prism else "no"


def _broken(found: Summary | None) -> bool:
    return found is None or found.failed


def _divide(top: Summary | None, bottom: Summary | None) -> float | None:
    if top is None or bottom is None or top.failed or bottom.failed:
        return None
    return top.requests_per_s / bottom.requests_per_s


def rows(run: Run) -> list[Row]:
    def of(hot: HotPath, target: str) -> Summary | None:
        return summary(run.loads.get((hot.label, target), []))

    return [
        Row(h, of(h, "aftercart"), of(h, "reference"), of(h, "prism"), floor=of(h, "floor"))
        for h in run.paths
    ]


def _rate(found: Summary | None, *, latency: bool = False) -> str:
    if found is None:
        return ""
    if found.failed:
        return "FAILED"
    text = f"{found.requests_per_s:,.0f}"
    return f"{text} ({found.p50_ms:.1f}/{found.p99_ms:.1f})" if latency else text


def _times(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def print_report(run: Run) -> None:
    print()
    print(run.machine)
    print(f"database: {run.database}; options: {run.options}")
    if run.prism_reason:
        print(f"Prism: not available ({run.prism_reason})")
    for label, reason in run.prism_refusals.items():
        print(f"Prism: not counted on {label} ({reason})")
    print()
    print(
        "| path | aftercart req/s (p50/p99 ms) | reference req/s | ratio | prism req/s "
        "| aftercart/prism | goal | met? |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for row in rows(run):
        print(
            f"| {row.hot.label} | {_rate(row.aftercart, latency=True)} | {_rate(row.reference)} "
            f"| {_times(row.ratio)} | {_rate(row.prism)} | {_times(row.over_prism)} "
            f"| {row.hot.goal} | {row.met} |"
        )
    _print_floor(run)


def _print_floor(run: Run) -> None:
    print()
    print(
        f"Query floor (bench/query_floor.py, {run.floor_driver or 'no driver'}): token from a "
        "dict, the read's own SQL through the raw driver, json.dumps of the rows; not "
        "Aftercart's answer shape."
    )
    print(
        "| path | aftercart req/s | reference req/s | floor req/s (p50/p99 ms) "
        "| aftercart/reference | floor/reference | aftercart/floor |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    everything = rows(run)
    for row in (r for r in everything if r.hot.on_floor):
        print(
            f"| {row.hot.label} | {_rate(row.aftercart)} | {_rate(row.reference)} "
            f"| {_rate(row.floor, latency=True)} | {_times(row.ratio)} "
            f"| {_times(row.floor_ratio)} | {_times(row.over_floor)} |"
        )
    for row in (r for r in everything if not r.hot.on_floor):
        print(f"{row.hot.label}: no query floor (a write is more than one query).")


def to_json(run: Run) -> dict[str, object]:
    return {
        "machine": asdict(run.machine),
        "database": run.database,
        "options": run.options,
        "prism": {"reason": run.prism_reason or None, "refused": run.prism_refusals},
        "floor": {
            "driver": run.floor_driver or None,
            "paths": [hot.label for hot in run.paths if hot.on_floor],
        },
        "rows": [
            {
                "path": row.hot.label,
                "url_path": row.hot.path,
                "goal": {"ratio": row.hot.goal.ratio, "over_prism": row.hot.goal.over_prism},
                "met": row.met,
                "ratio": row.ratio,
                "aftercart_over_prism": row.over_prism,
                "floor_ratio": row.floor_ratio,
                "aftercart_over_floor": row.over_floor,
                **{
                    target: {
                        "median": asdict(found) if (found := summary(loads)) else None,
                        "runs": [asdict(n) for n in loads],
                    }
                    for target in TARGETS
                    if (loads := run.loads.get((row.hot.label, target)))
                },
            }
            for row in rows(run)
        ],
    }
