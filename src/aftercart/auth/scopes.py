"""Grant types and the scopes each may ask for."""

import base64
import binascii
import json

from aftercart.bodies import text_problem

FULFILLMENT = "connect:fulfillment"
POST_CHECKOUT = "connect:post_checkout"
RATING = "Connect::Orders::RatingService"
ACCOUNT_LINKING = "account_linking"

CLIENT_CREDENTIALS = "client_credentials"
USER_ASSERTION = "fulfillment_user_assertion"
AUTHORIZATION_CODE = "authorization_code"
#: An Aftercart extension grant (RFC 6749, section 4.5): the order status page exchanges its signed
#: link for a token of the order's user and client that opens that one order's endpoints.
ORDER_LINK = "urn:aftercart:params:oauth:grant-type:order-link"

#: The grants of bearer tokens, and the scopes each may ask for.
SCOPES_BY_GRANT: dict[str, tuple[str, ...]] = {
    CLIENT_CREDENTIALS: (FULFILLMENT, RATING),
    USER_ASSERTION: (POST_CHECKOUT, RATING),
}
#: The authorization_code grant gives a linking token: it is bearer of no endpoint, but names an
#: Instacart account to ``POST /v2/fulfillment/users/{user_id}/link`` (see ``aftercart.linking``).
CODE_SCOPES: tuple[str, ...] = (ACCOUNT_LINKING,)
#: An order-link token carries what the page needs: the order's post-checkout endpoints and its
#: rating as the user, and the edit of the order's items as the retailer would make it.
ORDER_LINK_SCOPES: tuple[str, ...] = (POST_CHECKOUT, RATING, FULFILLMENT)
ALL_SCOPES = frozenset(s for scopes in (*SCOPES_BY_GRANT.values(), CODE_SCOPES) for s in scopes)


class ScopeError(ValueError):
    pass


def parse_requested(grant_type: str, requested: str | None) -> list[str]:
    """The scopes to grant: all of the grant's scopes when none are asked for.

    Connect separates several scopes with commas; the OAuth standard with spaces. Both are read.
    """
    allowed = CODE_SCOPES if grant_type == AUTHORIZATION_CODE else SCOPES_BY_GRANT[grant_type]
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
    if (problem := text_problem(user_id)) is not None:
        raise ValueError(f"The assertion's user_id {problem}")
    return user_id
