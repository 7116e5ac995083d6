"""The autopilot's pure rules: the seeded plan, the mix, the chat replies and the timing."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from aftercart.sandbox import autopilot_rules as rules
from aftercart.sandbox.autopilot_rules import Line, Mix, Outcome, Pick

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LINES = [Line(str(n), 3, None, "shoppers_choice") for n in range(1, 41)]
EVEN = Mix(1, 1, 1, 1)


def test_the_same_seed_and_order_give_the_same_plan() -> None:
    first = rules.plan(7, "order-1", LINES, EVEN, catalog_size=10)
    assert rules.plan(7, "order-1", LINES, EVEN, catalog_size=10) == first
    assert rules.plan(8, "order-1", LINES, EVEN, catalog_size=10) != first
    assert rules.plan(7, "order-2", LINES, EVEN, catalog_size=10) != first
    assert {pick.outcome for pick in first} == set(Outcome)


def test_the_plan_is_the_same_in_another_python_process() -> None:
    """Seeds are strings hashed by ``random`` itself: no ``hash()``, whatever PYTHONHASHSEED."""
    script = (
        "from aftercart.sandbox import autopilot_rules as r\n"
        "lines = [r.Line(str(n), 3, None, 'shoppers_choice') for n in range(1, 41)]\n"
        "print([(p.outcome.value, p.delivered_count, p.replacement)"
        " for p in r.plan(7, 'order-1', lines, r.Mix(1, 1, 1, 1), catalog_size=10)])\n"
    )
    here = [
        (p.outcome.value, p.delivered_count, p.replacement)
        for p in rules.plan(7, "order-1", LINES, EVEN, catalog_size=10)
    ]
    for hash_seed in ("1", "2"):
        found = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": hash_seed},
        )
        assert found.stdout.strip() == str(here)


def test_a_lines_outcome_does_not_depend_on_the_others() -> None:
    alone = rules.plan(7, "order-1", LINES[5:6], EVEN, catalog_size=10)
    assert alone == [rules.plan(7, "order-1", LINES, EVEN, catalog_size=10)[5]]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_mix_of_one_outcome_gives_only_it(outcome: Outcome) -> None:
    weights = {name: 0.0 for name in ("found", "partly_found", "replaced", "refunded")}
    mix = Mix(**weights | {outcome.value: 1.0})
    assert {p.outcome for p in rules.plan(1, "o", LINES, mix, catalog_size=3)} == {outcome}


def test_the_weights_set_the_shares() -> None:
    lines = [Line(str(n), 3, None, "shoppers_choice") for n in range(2000)]
    picks = rules.plan(3, "o", lines, Mix(0.7, 0.1, 0.1, 0.1), catalog_size=5)
    found = sum(p.outcome is Outcome.FOUND for p in picks) / len(picks)
    assert 0.65 < found < 0.75


def test_a_partial_find_is_below_the_ordered_amount() -> None:
    mix = Mix(0, 1, 0, 0)
    for pick in rules.plan(1, "o", LINES, mix, catalog_size=0):
        assert pick.delivered_count is not None
        assert 1 <= pick.delivered_count < 3
        assert pick.shopper_status == "found"
    weighed = Line("w", None, Decimal("2.500"), "shoppers_choice")
    pick = rules.pick(1, "o", weighed, mix, catalog_size=0)
    assert pick.delivered_weight is not None
    assert Decimal(0) < pick.delivered_weight < Decimal("2.500")
    # One unit cannot be partly found: it is found.
    single = rules.pick(1, "o", Line("1", 1, None, "shoppers_choice"), mix, catalog_size=0)
    assert single == Pick("1", Outcome.FOUND, 1, None)


def test_a_replacement_is_an_index_among_the_candidates() -> None:
    mix = Mix(0, 0, 1, 0)
    picks = rules.plan(1, "o", LINES, mix, catalog_size=4)
    assert {p.replacement for p in picks} == {0, 1, 2, 3}
    assert all(p.shopper_status == "replaced" for p in picks)
    chosen = Line("1", 2, None, "users_choice", choices=2)
    assert rules.pick(1, "o", chosen, mix, catalog_size=50).replacement in (0, 1)


@pytest.mark.parametrize(
    ("line", "catalog_size"),
    [
        (Line("1", 2, None, "no_replacements"), 10),
        (Line("1", 2, None, "users_choice", choices=0), 10),
        (Line("1", 2, None, "shoppers_choice"), 0),
    ],
)
def test_a_replacement_that_cannot_be_made_is_a_refund(line: Line, catalog_size: int) -> None:
    pick = rules.pick(1, "o", line, Mix(0, 0, 1, 0), catalog_size=catalog_size)
    assert pick == Pick("1", Outcome.REFUNDED, 0, None)
    assert pick.shopper_status == "to_refund"


@pytest.mark.parametrize(
    ("mix", "keys"),
    [
        (Mix(-1, 1, 0, 0), ["mix.found"]),
        (Mix(0, 0, 0, 0), ["mix"]),
        (Mix(float("nan"), 1, 0, float("inf")), ["mix.found", "mix.refunded"]),
        (Mix(1e308, 1e308, 0, 0), ["mix"]),
    ],
)
def test_a_bad_mix_names_each_bad_weight(mix: Mix, keys: list[str]) -> None:
    assert [error.key for error in rules.mix_errors(mix)] == keys


def test_good_settings_pass_and_bad_ones_are_named() -> None:
    assert rules.mix_errors(Mix()) == []
    assert rules.check_settings(seed=0, decision_timeout_seconds=0, step_seconds=1) == []
    errors = rules.check_settings(seed=-1, decision_timeout_seconds=86_401, step_seconds=0)
    assert [e.key for e in errors] == ["seed", "decision_timeout_seconds", "step_seconds"]


def test_a_chat_reply_is_the_same_for_the_same_message_and_speaks_of_the_state() -> None:
    reply = rules.chat_reply(7, "order-1", 1, "picking")
    assert reply == rules.chat_reply(7, "order-1", 1, "picking")
    assert reply in rules.REPLIES["shopping"]
    assert rules.chat_reply(7, "order-1", 2, "delivering") in rules.REPLIES["delivering"]
    replies = {rules.chat_reply(seed, "order-1", 1, "picking") for seed in range(30)}
    assert len(replies) > 1


def test_the_wait_ends_on_no_pending_decision_or_on_the_timeout() -> None:
    since = T0
    assert rules.wait_over(now=T0, waiting_since=since, timeout=300, pending=0)
    assert not rules.wait_over(
        now=T0 + timedelta(seconds=299), waiting_since=since, timeout=300, pending=1
    )
    assert rules.wait_over(
        now=T0 + timedelta(seconds=300), waiting_since=since, timeout=300, pending=1
    )
    later = T0 + timedelta(seconds=290)
    check = rules.next_wait_check(now=later, waiting_since=since, timeout=300, step=30)
    assert check == T0 + timedelta(seconds=300)
    assert rules.next_wait_check(now=T0, waiting_since=since, timeout=300, step=30) == (
        T0 + timedelta(seconds=30)
    )


def test_an_order_is_taken_once_it_exists_and_the_shopper_is_free() -> None:
    assert rules.take_due(T0, T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=5)
    assert rules.take_due(T0 + timedelta(seconds=9), T0) == T0 + timedelta(seconds=9)
    assert rules.trip_over(now=T0 + timedelta(seconds=60), started_at=T0, trip_seconds=60)
    assert not rules.trip_over(now=T0 + timedelta(seconds=59), started_at=T0, trip_seconds=60)
