"""Account linking's rules, over plain values: what the sandbox's authorize accepts, PKCE
(RFC 7636), and the Instacart+ membership term."""

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from aftercart.auth.scopes import ACCOUNT_LINKING

#: How long an authorization code may wait to be exchanged (RFC 6749 §4.1.2 recommends at most
#: 10 minutes).
CODE_TTL: Final = timedelta(minutes=10)
#: A sandbox Instacart+ membership renews every year on the day the account was created.
MEMBERSHIP_TERM: Final = timedelta(days=365)
#: What authorize's ``scope`` may name: ``account_linking``, the scope granted, and ``openid``,
#: which Instacart's sandbox guide sends beside it (Aftercart issues no ID token).
AUTHORIZE_SCOPES: Final = frozenset({ACCOUNT_LINKING, "openid"})
S256: Final = "S256"
PLAIN: Final = "plain"
#: A code verifier, and a plain challenge: 43 to 128 unreserved characters (RFC 7636 §4.1).
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
#: An S256 challenge: base64url, unpadded, of a SHA-256 (RFC 7636 §4.2).
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def scope_problem(scope: str) -> str | None:
    """Why authorize's ``scope`` (names separated by spaces or commas) is refused, or None."""
    names = set(scope.replace(",", " ").split())
    if not names <= AUTHORIZE_SCOPES:
        return "is not included in the list"
    if ACCOUNT_LINKING not in names:
        return f"must include {ACCOUNT_LINKING}"
    return None


def redirect_uri_problem(uri: str) -> str | None:
    """An absolute URI without a fragment (RFC 6749 §3.1.2); a private-use scheme
    (``com.example.app:/linked``, RFC 8252) is one."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "is invalid"
    if any(c.isspace() for c in uri) or not parts.scheme or parts.fragment:
        return "is invalid"
    if not (parts.netloc or parts.path):
        return "is invalid"
    return None


def challenge_problem(challenge: str, method: str) -> str | None:
    pattern = _S256_CHALLENGE if method == S256 else _VERIFIER
    return None if pattern.fullmatch(challenge) else "is invalid"


def s256(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def verifier_problem(verifier: str | None, challenge: str | None, method: str | None) -> str | None:
    """Why a token request's ``code_verifier`` fails the code's challenge, or None.

    A verifier for a code issued without a challenge is refused too: a client that sends one
    believes its code is protected (the downgrade the OAuth security BCP, RFC 9700 §2.1.1, warns
    of)."""
    if challenge is None:
        return "the code was issued without a code_challenge" if verifier else None
    if not verifier:
        return "code_verifier can't be blank: the code was issued with a code_challenge"
    expected = s256(verifier) if method == S256 else verifier
    if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
        expected.encode(), challenge.encode()
    ):
        return "code_verifier does not match the code_challenge"
    return None


def membership_expiry(created_at: datetime, now: datetime) -> datetime:
    """The end of the current yearly term of a membership that began at ``created_at``."""
    terms = max((now - created_at) // MEMBERSHIP_TERM + 1, 1)
    return created_at + terms * MEMBERSHIP_TERM


def wire_time(moment: datetime) -> str:
    """``2021-06-30T00:00:00Z``, as Connect writes ``expired_at``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
