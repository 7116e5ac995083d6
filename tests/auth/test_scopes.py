"""Pure rules of grants and scopes."""

import base64

import pytest

from aftercart.auth import scopes


def test_no_scope_means_every_scope_of_the_grant() -> None:
    assert scopes.parse_requested("client_credentials", None) == [
        "connect:fulfillment",
        "Connect::Orders::RatingService",
    ]


def test_comma_and_space_separated_scopes_are_read() -> None:
    requested = "connect:fulfillment,Connect::Orders::RatingService connect:fulfillment"
    assert scopes.parse_requested("client_credentials", requested) == [
        "connect:fulfillment",
        "Connect::Orders::RatingService",
    ]


def test_scope_of_another_grant_is_refused() -> None:
    with pytest.raises(scopes.ScopeError):
        scopes.parse_requested("fulfillment_user_assertion", "connect:fulfillment")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"user_id": "abc"}', "abc"),
        (b'{ "user_id": 42 }', "42"),
    ],
)
def test_assertion_is_base64_json(raw: bytes, expected: str) -> None:
    assert scopes.user_id_from_assertion(base64.b64encode(raw).decode()) == expected


@pytest.mark.parametrize("raw", [b"[]", b'{"user": "x"}', b'{"user_id": ""}', b"not json"])
def test_bad_assertions_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="assertion"):
        scopes.user_id_from_assertion(base64.b64encode(raw).decode())
