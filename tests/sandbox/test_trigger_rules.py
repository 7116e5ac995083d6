"""The pure rules of triggers: names, overrides, ``--set`` values."""

from typing import Any

import pytest

from aftercart.errors import InvalidParameter, MultipleErrors
from aftercart.events import names
from aftercart.sandbox import trigger_rules as r
from aftercart.sandbox import triggers
from tests.webhooks.helpers import asyncapi


def test_every_order_callback_of_the_catalogue_can_be_triggered() -> None:
    documented = {m["name"] for m in asyncapi()["components"]["messages"].values()}
    assert set(r.TRIGGERABLE) == documented - {names.MARKETPLACE_FEEDBACK, names.WEBHOOK_TEST}
    built = (
        set(triggers.EVENT_STATES)
        | set(triggers.RUNNER_STATES)
        | set(triggers.ITEM_FITS)
        | set(triggers._BUILDERS)
    )
    assert set(r.TRIGGERABLE) <= built


@pytest.mark.parametrize("name", [None, "", "picking", "webhook.test", names.MARKETPLACE_FEEDBACK])
def test_other_names_are_refused_with_the_list(name: str | None) -> None:
    with pytest.raises(InvalidParameter) as caught:
        r.check_event_name(name)
    assert caught.value.key == "event_name"
    assert caught.value.message.startswith("is not included in the list: fulfillment.brand_new, ")
    assert "chat_message_created" in caught.value.message


@pytest.mark.parametrize("raw", [[], "x", 3, True])
def test_overrides_must_be_an_object(raw: Any) -> None:
    with pytest.raises(InvalidParameter) as caught:
        r.check_overrides(raw)
    assert (caught.value.key, caught.value.message) == ("overrides", "must be an object")


def test_no_overrides_is_none() -> None:
    assert r.check_overrides(None) == {}


def test_dotted_paths_set_nested_fields_and_list_elements() -> None:
    metadata = {"item": {"status": "found", "count": 1}, "items": [{"a": 1}, {"a": 2}]}
    merged = r.apply_overrides(
        metadata,
        {"item.status": "to_refund", "items.1.a": 5, "shopper.first_name": "Sam", "late": True},
    )
    assert merged == {
        "item": {"status": "to_refund", "count": 1},
        "items": [{"a": 1}, {"a": 5}],
        "shopper": {"first_name": "Sam"},
        "late": True,
    }
    assert metadata["item"]["status"] == "found"  # the original is left as it was


def test_an_object_value_replaces_the_field_whole() -> None:
    merged = r.apply_overrides({"item": {"status": "found", "count": 1}}, {"item": {"count": 2}})
    assert merged == {"item": {"count": 2}}


def test_bad_paths_are_all_told() -> None:
    with pytest.raises(MultipleErrors) as caught:
        r.apply_overrides(
            {"items": [{"a": 1}], "late": True},
            {"order_id": "x", "items.3.a": 1, "late.reason": "x", "a..b": 1},
        )
    keys = [error.key for error in caught.value.errors]
    assert keys == [
        "overrides.order_id",
        "overrides.items.3.a",
        "overrides.late.reason",
        "overrides.a..b",
    ]


def test_one_bad_path_is_one_error() -> None:
    with pytest.raises(InvalidParameter) as caught:
        r.apply_overrides({}, {"user_id": "someone-else"})
    assert caught.value.message == "is set by the order and cannot be overridden"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("1.5", 1.5),
        ("true", True),
        ("null", None),
        ('{"a": [1]}', {"a": [1]}),
        ('"7"', "7"),
        ("Sam", "Sam"),
        ("", ""),
        ("found it", "found it"),
    ],
)
def test_set_values_are_json_when_they_parse(text: str, value: Any) -> None:
    assert r.parse_value(text) == value


def test_assignments() -> None:
    assert r.parse_assignments(["item.status=found", "note=a=b", "n=2"]) == {
        "item.status": "found",
        "note": "a=b",
        "n": 2,
    }
    with pytest.raises(InvalidParameter):
        r.parse_assignments(["nothing"])
    with pytest.raises(InvalidParameter):
        r.parse_assignments(["=3"])


class _Line:
    def __init__(self, line_num: str, found: bool = False) -> None:
        self.line_num = line_num
        self.found = found


def test_a_named_line_is_the_one_the_item_event_is_about() -> None:
    lines = [_Line("1"), _Line("2", found=True), _Line("3", found=True)]
    assert r.pick_line(lines, lambda line: line.found, "3") is lines[2]
    assert r.pick_line(lines, lambda line: line.found, None) is lines[1]
    assert r.pick_line(lines, lambda line: False, None) is lines[0]
    assert r.pick_line([], lambda line: True, None) is None


def test_a_line_the_order_does_not_have_is_refused() -> None:
    with pytest.raises(InvalidParameter) as refused:
        r.pick_line([_Line("1")], lambda line: True, "9")
    assert refused.value.key == "line_num"


def test_line_num_is_only_for_item_events() -> None:
    item_events = tuple(triggers.ITEM_FITS)
    r.check_line_num(names.ITEM_REFUND, "2", item_events)
    r.check_line_num(names.PICKING, None, item_events)
    with pytest.raises(InvalidParameter) as refused:
        r.check_line_num(names.PICKING, "2", item_events)
    assert refused.value.key == "line_num"
