"""Account linking's pure rules: PKCE, authorize's scope and redirect URI, the membership term,
and password hashes."""

from datetime import UTC, datetime, timedelta

import pytest

from aftercart.auth.secrets import hash_password, password_matches
from aftercart.linking import rules
from tests.linking.helpers import CHALLENGE, VERIFIER

CREATED = datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=UTC)


def test_s256_is_rfc_7636_appendix_b() -> None:
    assert rules.s256(VERIFIER) == CHALLENGE


@pytest.mark.parametrize(
    ("verifier", "challenge", "method", "problem"),
    [
        (VERIFIER, CHALLENGE, "S256", None),
        (VERIFIER, VERIFIER, "plain", None),
        (None, None, None, None),
        (VERIFIER, None, None, "the code was issued without a code_challenge"),
        (None, CHALLENGE, "S256", "code_verifier can't be blank"),
        ("", CHALLENGE, "S256", "code_verifier can't be blank"),
        (VERIFIER.lower(), CHALLENGE, "S256", "does not match"),
        ("short", "short", "plain", "does not match"),  # plain, but not a verifier's shape
        ("é" * 43, "é" * 43, "plain", "does not match"),
    ],
)
def test_verifier_problem(
    verifier: str | None, challenge: str | None, method: str | None, problem: str | None
) -> None:
    found = rules.verifier_problem(verifier, challenge, method)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("challenge", "method", "ok"),
    [
        (CHALLENGE, "S256", True),
        (CHALLENGE + "A", "S256", False),
        (VERIFIER + "~.", "S256", False),
        (VERIFIER + "~.", "plain", True),
        ("a" * 128, "plain", True),
        ("a" * 129, "plain", False),
        ("a" * 42, "plain", False),
    ],
)
def test_challenge_problem(challenge: str, method: str, ok: bool) -> None:
    assert (rules.challenge_problem(challenge, method) is None) is ok


@pytest.mark.parametrize(
    ("scope", "problem"),
    [
        ("account_linking", None),
        ("openid account_linking", None),
        ("account_linking,openid", None),
        ("openid", "must include account_linking"),
        ("account_linking connect:fulfillment", "is not included in the list"),
    ],
)
def test_scope_problem(scope: str, problem: str | None) -> None:
    assert rules.scope_problem(scope) == problem


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://example.org/account/profile", True),
        ("com.example.app:/linked", True),
        ("http://[::1]:8000/cb", True),
        ("http://[::1/cb", False),
        ("/relative", False),
        ("https:", False),
        ("https://example.org/#frag", False),
        ("https://example.org/\tx", False),
    ],
)
def test_redirect_uri_problem(uri: str, ok: bool) -> None:
    assert (rules.redirect_uri_problem(uri) is None) is ok


@pytest.mark.parametrize(
    ("later", "terms"),
    [
        (timedelta(0), 1),
        (timedelta(days=364), 1),
        (timedelta(days=365), 2),
        (timedelta(days=800), 3),
        (-timedelta(days=1), 1),  # a clock behind the creation: still the first term
    ],
)
def test_the_membership_renews_every_year(later: timedelta, terms: int) -> None:
    expiry = rules.membership_expiry(CREATED, CREATED + later)
    assert expiry == CREATED + terms * rules.MEMBERSHIP_TERM
    assert expiry > CREATED + later


def test_wire_time_is_connects() -> None:
    assert rules.wire_time(CREATED) == "2026-03-01T12:30:15Z"
    eastern = CREATED.astimezone(datetime.now().astimezone().tzinfo)
    assert rules.wire_time(eastern) == "2026-03-01T12:30:15Z"


def test_password_hashes_are_salted() -> None:
    first, second = hash_password("hunter2"), hash_password("hunter2")
    assert first != second
    assert "hunter2" not in first
    assert password_matches("hunter2", first)
    assert password_matches("hunter2", second)
    assert not password_matches("hunter3", first)
