"""The dashboard's pure rules: filters, the days of the chart, the charts' geometry."""

from datetime import UTC, date, datetime, timedelta

import pytest

from aftercart.web.dashboard import rules


def test_filters_are_read_from_the_query() -> None:
    filters = rules.parse_filters(
        {
            "source": " connect ",
            "store": "s1",
            "shopper": "7",
            "since": "2026-03-01",
            "until": "2026-03-03",
        }
    )
    assert (filters.source, filters.store, filters.shopper_id) == ("connect", "s1", 7)
    assert filters.since == datetime(2026, 3, 1, tzinfo=UTC)
    assert filters.until == datetime(2026, 3, 4, tzinfo=UTC)  # the last day is included
    assert (filters.first_day, filters.last_day) == (date(2026, 3, 1), date(2026, 3, 3))
    assert filters.errors == {}
    assert filters.query() == {
        "source": "connect",
        "store": "s1",
        "shopper": "7",
        "since": "2026-03-01",
        "until": "2026-03-03",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"shopper": "seven"}, "shopper"),
        ({"shopper": "-1"}, "shopper"),
        ({"shopper": "0"}, "shopper"),
        ({"shopper": str(2**31)}, "shopper"),
        ({"since": "03/01/2026"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
    ],
)
def test_a_filter_that_does_not_parse_is_an_error_and_left_out(
    params: dict[str, str], field: str
) -> None:
    filters = rules.parse_filters(params)
    assert list(filters.errors) == [field]
    assert (filters.shopper_id, filters.until) == (None, None)
    assert filters.since is None or field == "until"


def test_the_same_day_twice_is_one_day() -> None:
    filters = rules.parse_filters({"since": "2026-03-01", "until": "2026-03-01"})
    assert filters.errors == {}
    assert filters.until is not None
    assert filters.since is not None
    assert filters.until - filters.since == timedelta(days=1)


def test_days_without_ratings_count_zero() -> None:
    d = date(2026, 3, 1)
    counts = {d: 2, d + timedelta(3): 1}
    assert rules.days_series(counts) == [
        (d, 2),
        (d + timedelta(1), 0),
        (d + timedelta(2), 0),
        (d + timedelta(3), 1),
    ]
    wider = rules.days_series(counts, first=d - timedelta(1), last=d + timedelta(4))
    assert [n for _, n in wider] == [0, 2, 0, 0, 1, 0]
    assert rules.days_series({}) == []
    assert [n for _, n in rules.days_series({}, first=d, last=d + timedelta(1))] == [0, 0]
    assert rules.days_series({}, first=d, last=d - timedelta(1)) == []


def test_a_long_range_keeps_its_latest_days() -> None:
    d = date(2026, 1, 1)
    series = rules.days_series({d: 1}, first=d, last=d + timedelta(days=199))
    assert len(series) == rules.MAX_CHART_DAYS
    assert series[-1][0] == d + timedelta(days=199)


@pytest.mark.parametrize(
    ("largest", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (5, 5), (6, 10), (11, 20), (101, 200)]
)
def test_the_axis_ends_on_a_round_number(largest: int, top: int) -> None:
    assert rules.nice_max(largest) == top


def test_column_chart_geometry() -> None:
    chart = rules.column_chart([("a", 4), ("b", 1), ("c", 0)], width=340, height=228)
    plot = chart.plot_bottom - chart.plot_top
    assert plot == 188
    heights = [bar.height for bar in chart.bars]
    assert heights == [plot * 4 / 5, plot / 5, 0.0]  # the axis ends at 5
    # Bars stand on the baseline, side by side, each in its own slot.
    assert all(bar.y + bar.height == pytest.approx(chart.plot_bottom) for bar in chart.bars)
    xs = [bar.x for bar in chart.bars]
    assert xs == sorted(xs)
    assert all(b.x + b.width <= c.x for b, c in zip(chart.bars, chart.bars[1:], strict=False))
    assert chart.bars[-1].x + chart.bars[-1].width <= chart.width
    assert [tick.value for tick in chart.ticks] == [0, 2, 5]
    assert chart.ticks[-1].y == chart.plot_top
    assert (chart.first_label, chart.last_label) == ("a", "c")


def test_an_empty_column_chart() -> None:
    chart = rules.column_chart([])
    assert chart.bars == ()
    assert [tick.value for tick in chart.ticks] == [0, 1]


def test_bar_chart_geometry() -> None:
    chart = rules.bar_chart([("1 star", 1), ("5 stars", 3), ("3 stars", 0)], width=480)
    widths = [row.width for row in chart.rows]
    room = 480 - 72 - 96
    assert widths == [room / 3, room, 0.0]
    assert [row.share for row in chart.rows] == [25, 75, 0]
    assert [row.y for row in chart.rows] == [0, 32, 64]
    assert chart.height == 96
    assert rules.bar_chart([("x", 0)]).rows[0].width == 0


def test_words() -> None:
    assert rules.stars_text(None) == "no ratings"
    assert rules.stars_text(4.26) == "4.3 of 5"
    assert rules.stars_text(3.3333) == "3.3 of 5"
    assert rules.percent(1, 3) == 33
    assert rules.percent(1, 0) == 0
    assert [rules.stars_label(n) for n in (1, 2)] == ["1 star", "2 stars"]
    assert rules.source_name("yandex_eats") == "Yandex Eats"
    assert rules.source_name("deliveroo_uk") == "Deliveroo uk"
    assert "completed" in rules.FINISHED_STATES
    assert "canceled" in rules.FINISHED_STATES
    assert "staged" not in rules.FINISHED_STATES


@pytest.mark.parametrize(
    ("status", "kind"),
    [(200, "succeeded"), (303, "succeeded"), (400, "pending"), (429, "pending"), (500, "failed")],
)
def test_the_monitors_status_badges(status: int, kind: str) -> None:
    assert rules.status_kind(status) == kind


def test_a_json_body_is_indented_and_anything_else_kept() -> None:
    assert rules.pretty_body('{"a": [1]}') == '{\n  "a": [\n    1\n  ]\n}'
    assert rules.pretty_body('{"a": "caf\u00e9"}') == '{\n  "a": "caf\u00e9"\n}'
    assert rules.pretty_body("a=1&b=***") == "a=1&b=***"
    assert rules.pretty_body('{"cut": "ab') == '{"cut": "ab'
