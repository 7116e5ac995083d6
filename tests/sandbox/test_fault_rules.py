"""The pure rules of sandbox faults: validation, matching, the draw and how draws combine."""

from typing import Any

import pytest

from aftercart.errors import InvalidParameter, MultipleErrors
from aftercart.sandbox.fault_rules import (
    DEFAULT_RETRY_AFTER_SECONDS,
    Draw,
    Effect,
    EffectInput,
    Kind,
    Rule,
    Target,
    build_rule,
    delivery_fault,
    draw,
    glob_matches,
    matches_delivery,
    matches_request,
    request_fault,
)


def build(**given: Any) -> Rule:
    values: dict[str, Any] = {
        "target": "api",
        "method": None,
        "path": "*",
        "event": None,
        "probability": 1.0,
        "seed": 1,
        "effect": EffectInput("drop"),
    }
    return build_rule(**(values | given))


def refusal(**given: Any) -> tuple[str | None, str]:
    with pytest.raises(InvalidParameter) as raised:
        build(**given)
    return raised.value.key, raised.value.message


def api_rule(effect: Effect, *, method: str = "*", pattern: str = "*", p: float = 1.0) -> Rule:
    return Rule(Target.API, method, pattern, p, 7, effect)


# --- Validation ------------------------------------------------------------------------------


def test_an_api_rule_is_normalised() -> None:
    rule = build(method="get", path="/v2/*", effect=EffectInput("latency", ms=20))
    assert rule == Rule(Target.API, "GET", "/v2/*", 1.0, 1, Effect(Kind.LATENCY, 20, 20))
    assert rule.effect.params() == {"ms": 20}


def test_a_ranged_latency_keeps_its_range() -> None:
    rule = build(effect=EffectInput("latency", min_ms=10, max_ms=30))
    assert rule.effect.params() == {"min_ms": 10, "max_ms": 30}
    assert Effect.of("latency", rule.effect.params()) == rule.effect


def test_errors_that_ask_to_come_back_carry_retry_after() -> None:
    busy = build(effect=EffectInput("error", status=503))
    assert busy.effect.retry_after == DEFAULT_RETRY_AFTER_SECONDS
    limited = build(effect=EffectInput("error", status=429, retry_after=30))
    assert limited.effect.params() == {"status": 429, "retry_after": 30}
    broken = build(effect=EffectInput("error", status=500))
    assert broken.effect.params() == {"status": 500}


def test_a_webhook_rule_matches_event_names() -> None:
    rule = build(target="webhook", path=None, effect=EffectInput("duplicate"))
    assert (rule.method, rule.pattern) == ("*", "*")
    named = build(
        target="webhook", path=None, event="fulfillment.*", effect=EffectInput("slow", ms=5)
    )
    assert named.pattern == "fulfillment.*"


@pytest.mark.parametrize(
    ("given", "key", "message"),
    [
        ({"path": None}, "path", "can't be blank"),
        ({"path": "/x" * 300}, "path", "is too long (maximum is 500 characters)"),
        ({"method": "BREW"}, "method", "is not included in the list: GET, POST"),
        ({"event": "x.*"}, "event", "applies only to webhook faults"),
        ({"probability": float("nan")}, "probability", "must be between 0 and 1"),
        ({"seed": 2**53}, "seed", "must be between 0 and 9007199254740991"),
        ({"effect": EffectInput("reorder")}, "effect.type", "is not an effect of api faults"),
        ({"effect": EffectInput("teleport")}, "effect.type", "is not an effect of api faults"),
        ({"effect": EffectInput("latency", ms=1, min_ms=1)}, "effect.ms", "give either ms"),
        ({"effect": EffectInput("latency", min_ms=1)}, "effect.max_ms", "can't be blank"),
        ({"effect": EffectInput("latency", ms=-1)}, "effect.ms", "must be between 0 and"),
        ({"effect": EffectInput("error")}, "effect.status", "can't be blank"),
        (
            {"effect": EffectInput("error", status=503, retry_after=86_401)},
            "effect.retry_after",
            "must be between 0 and 86400",
        ),
        ({"effect": EffectInput("drop", status=500)}, "effect.status", "does not apply to drop"),
        (
            {
                "target": "webhook",
                "path": None,
                "method": "GET",
                "effect": EffectInput("duplicate"),
            },
            "method",
            "applies only to api faults",
        ),
        (
            {"target": "webhook", "path": None, "event": "a b", "effect": EffectInput("duplicate")},
            "event",
            "is invalid (an event name",
        ),
        (
            {"target": "webhook", "path": None, "effect": EffectInput("drop")},
            "effect.type",
            "is not an effect of webhook faults: slow, duplicate, reorder",
        ),
    ],
)
def test_refusals_name_the_field(given: dict[str, Any], key: str, message: str) -> None:
    found_key, found_message = refusal(**given)
    assert found_key == key
    assert found_message.startswith(message)


def test_every_problem_is_told_at_once() -> None:
    with pytest.raises(MultipleErrors) as raised:
        build(path="x", seed=-1, effect=EffectInput("latency", min_ms=5, max_ms=1))
    assert [e.key for e in raised.value.errors] == ["path", "seed", "effect.max_ms"]


# --- Matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("*", "/v2/anything/at/all", True),
        ("/v2/post_checkout/*", "/v2/post_checkout/orders/1/items", True),
        ("/v2/post_checkout/*", "/v2/post_checkout", False),
        ("/v2/*/orders/*", "/v2/fulfillment/users/u/orders/o", True),
        ("/v2/fulfillment/users", "/v2/fulfillment/users/u", False),
        ("/a?b", "/a?b", True),
        ("/a?b", "/axb", False),
        ("/a[0-9]", "/a1", False),
        ("fulfillment.*", "fulfillment.picking", True),
        ("fulfillment.*", "chat_message_created", False),
    ],
)
def test_globs(pattern: str, text: str, matches: bool) -> None:
    assert glob_matches(pattern, text) is matches


def test_a_request_matches_by_method_and_path() -> None:
    rule = api_rule(Effect(Kind.DROP), method="POST", pattern="/v2/fulfillment/*")
    assert matches_request(rule, "post", "/v2/fulfillment/users")
    assert not matches_request(rule, "GET", "/v2/fulfillment/users")
    assert not matches_request(rule, "POST", "/v2/post_checkout/x")


def test_the_fault_routes_never_match() -> None:
    rule = api_rule(Effect(Kind.DROP))
    assert matches_request(rule, "GET", "/v2/fulfillment_sandbox/faultsy")
    assert not matches_request(rule, "GET", "/v2/fulfillment_sandbox/faults")
    assert not matches_request(rule, "DELETE", "/v2/fulfillment_sandbox/faults/3")


def test_targets_do_not_cross() -> None:
    api = api_rule(Effect(Kind.DROP))
    hook = Rule(Target.WEBHOOK, "*", "*", 1.0, 1, Effect(Kind.DUPLICATE))
    assert not matches_delivery(api, "fulfillment.picking")
    assert matches_delivery(hook, "fulfillment.picking")
    assert not matches_request(hook, "GET", "/v2/x")


# --- The draw --------------------------------------------------------------------------------


def test_the_draw_depends_on_the_seed_and_the_count_only() -> None:
    rule = api_rule(Effect(Kind.LATENCY, 0, 1000), p=0.5)
    first = [draw(rule, n) for n in range(50)]
    assert first == [draw(rule, n) for n in range(50)]
    assert 10 < sum(d.fired for d in first) < 40
    assert all(0 <= d.delay_ms <= 1000 for d in first if d.fired)
    assert len({d.delay_ms for d in first if d.fired}) > 5
    reseeded = Rule(rule.target, rule.method, rule.pattern, rule.probability, 8, rule.effect)
    assert [draw(reseeded, n) for n in range(50)] != first


def test_a_known_seed_gives_a_known_sequence() -> None:
    """Pinned: a change here would change every developer's recorded scenario."""
    rule = api_rule(Effect(Kind.DROP), p=0.5)
    assert [int(draw(rule, n).fired) for n in range(10)] == [0, 0, 1, 0, 1, 0, 0, 1, 0, 0]


def test_probability_zero_and_one_are_certain() -> None:
    never = api_rule(Effect(Kind.DROP), p=0.0)
    always = api_rule(Effect(Kind.LATENCY, 5, 5), p=1.0)
    assert not any(draw(never, n).fired for n in range(100))
    assert all(draw(always, n) == Draw(True, 5) for n in range(100))


def test_latencies_add_up_and_the_first_cut_wins() -> None:
    slow = api_rule(Effect(Kind.LATENCY, 10, 10))
    busy = api_rule(Effect(Kind.ERROR, status=503, retry_after=1))
    gone = api_rule(Effect(Kind.DROP))
    fault = request_fault(
        [
            (1, slow, Draw(True, 10)),
            (2, gone, Draw(False)),
            (3, busy, Draw(True)),
            (4, gone, Draw(True)),
            (5, slow, Draw(True, 15)),
        ]
    )
    assert fault.delay_ms == 25
    assert fault.cut == busy.effect
    assert fault.rule_ids == (1, 3, 4, 5)
    assert request_fault([(1, gone, Draw(False))]).rule_ids == ()


def test_delivery_faults_combine() -> None:
    def hook(effect: Effect) -> Rule:
        return Rule(Target.WEBHOOK, "*", "*", 1.0, 1, effect)

    fault = delivery_fault(
        [
            (hook(Effect(Kind.SLOW, 5, 5)), Draw(True, 5)),
            (hook(Effect(Kind.REORDER, 100, 100)), Draw(True, 100)),
            (hook(Effect(Kind.DUPLICATE)), Draw(True)),
            (hook(Effect(Kind.SLOW, 7, 7)), Draw(False)),
        ]
    )
    assert (fault.delay_ms, fault.hold_ms, fault.duplicate) == (5, 100, True)
    assert not delivery_fault([(hook(Effect(Kind.DUPLICATE)), Draw(False))])
