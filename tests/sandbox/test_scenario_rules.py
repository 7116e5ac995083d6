"""The pure rules of scenario files: reading, checking, durations, expected callbacks."""

from typing import Any

import pytest

from aftercart.sandbox import scenario_rules as r
from aftercart.sandbox import scenarios


def _problems(text: str) -> list[str]:
    with pytest.raises(r.ScenarioError) as refused:
        r.parse(text, "f.yaml")
    return refused.value.problems


def test_steps_are_read_with_their_lines() -> None:
    scenario = r.parse(
        "name: Mixed\ndescription: d\nsteps:\n"
        "  - advance: picking\n"
        "  - found: {1: 2, 2: 1.5}\n"
        "  - replace: {all: '071842000701', 3: PLU-4011}\n"
        "  - refund: [4]\n"
        "  - trigger: fulfillment.order_location\n"
        "  - wait: 250ms\n"
        "  - expect: [fulfillment.picking]\n",
        "f.yaml",
    )
    assert scenario.name == "Mixed"
    assert [(s.line, s.kind) for s in scenario.steps] == [
        (4, "advance"),
        (5, "found"),
        (6, "replace"),
        (7, "refund"),
        (8, "trigger"),
        (9, "wait"),
        (10, "expect"),
    ]
    assert scenario.steps[1].argument == {"1": 2, "2": 1.5}
    assert scenario.steps[2].argument == {"all": "071842000701", "3": "PLU-4011"}
    assert scenario.steps[4].argument == {"event_name": "fulfillment.order_location"}
    assert scenario.steps[5].argument == 0.25


def test_every_problem_is_told_with_its_line() -> None:
    assert _problems(
        "name: x\nsteps:\n"
        "  - advance: nowhere\n"
        "  - found: [1]\n"
        "  - refund: some\n"
        "  - shout: hi\n"
        "  - {chat: a, wait: 1s}\n"
    ) == [
        "f.yaml:3: advance: must be one of " + ", ".join(r.STATES),
        "f.yaml:5: refund: must be `all` or a list of line numbers",
        "f.yaml:6: unknown step 'shout' (steps: " + ", ".join(r.STEP_KINDS) + ")",
        "f.yaml:7: a step is a mapping of one step name to its argument",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("steps: [1\n", "f.yaml:2: not YAML"),
        ("- a\n", "f.yaml:1: must be a mapping with name and steps"),
        ("name: x\nsteps: []\n", "f.yaml:1: steps: must be a non-empty list"),
        ("steps:\n  - wait: 1s\n", "f.yaml:1: name: must be a non-empty text"),
        ("name: x\nnotes: y\nsteps:\n  - wait: 1s\n", "f.yaml:2: unknown key 'notes'"),
    ],
)
def test_the_file_as_a_whole(text: str, problem: str) -> None:
    assert _problems(text)[0].startswith(problem)


@pytest.mark.parametrize(
    ("value", "seconds"), [("2s", 2.0), ("500ms", 0.5), ("1m", 60.0), (3, 3.0), ("0.5 s", 0.5)]
)
def test_durations(value: Any, seconds: float) -> None:
    assert r.parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["2h", "soon", True, -1, "11m"])
def test_bad_durations(value: Any) -> None:
    with pytest.raises(ValueError, match=r"duration|between"):
        r.parse_duration(value)


def test_expected_callbacks_are_matched_in_order() -> None:
    written = ["a", "b", "c", "b"]
    assert r.missing(["a", "b", "b"], written) == []
    assert r.missing(["c", "a"], written) == ["a"]
    assert r.missing(["d"], written) == ["d"]


def test_all_stands_for_every_line() -> None:
    assert r.resolve_lines(r.ALL, ["1", "2"]) == ["1", "2"]
    assert r.resolve_lines(["2"], ["1", "2"]) == ["2"]


@pytest.mark.parametrize("name", sorted(scenarios.shipped()))
def test_the_shipped_scenarios_are_valid(name: str) -> None:
    path = scenarios.shipped()[name]
    assert r.parse(path.read_text(), str(path)).steps


def test_the_promised_scenarios_ship() -> None:
    assert set(scenarios.shipped()) == {
        "happy_path",
        "everything_replaced",
        "everything_refunded",
        "late_delivery",
        "canceled",
    }
