"""Grant types and the scopes each may ask for (reference §2.2)."""

import base64
import binascii
import json

FULFILLMENT = "connect:fulfillment"
POST_CHECKOUT = "connect:post_checkout"
RATING = "Connect::Orders::RatingService"

CLIENT_CREDENTIALS = "client_credentials"
USER_ASSERTION = "fulfillment_user_assertion"

SCOPES_BY_GRANT: dict[str, tuple[str, ...]] = {
    CLIENT_CREDENTIALS: (FULFILLMENT, RATING),
    USER_ASSERTION: (POST_CHECKOUT, RATING),
}
ALL_SCOPES = frozenset(s for scopes in SCOPES_BY_GRANT.values() for s in scopes)


class ScopeError(ValueError):
    pass


def parse_requested(grant_type: str, requested: str | None) -> list[str]:
    """The scopes to grant: all of the grant's scopes when none are asked for.

    Connect separates several scopes with commas; the OAuth standard with spaces. Both are read.
    """
    allowed = SCOPES_BY_GRANT[grant_type]
    if not requested or not requested.strip():
        return list(allowed)
    names = [s for s in requested.replace(",", " ").split() if s]
    for name in names:
        if name not in ALL_SCOPES:
            raise ScopeError(f"The requested scope {name!r} is unknown")
        if name not in allowed:
            raise ScopeError(f"The scope {name!r} cannot be granted with {grant_type}")
    return list(dict.fromkeys(names))


def user_id_from_assertion(assertion: str | None) -> str:
    """Reads ``{"user_id": "..."}`` from the Base64 assertion (plain Base64 of JSON, not a JWT)."""
    if not assertion:
        raise ValueError("The assertion is missing")
    try:
        padded = assertion.strip() + "=" * (-len(assertion.strip()) % 4)
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        payload = json.loads(decoded)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The assertion is not Base64-encoded JSON") from exc
    user_id = payload.get("user_id") if isinstance(payload, dict) else None
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("The assertion has no user_id")
    return user_id
