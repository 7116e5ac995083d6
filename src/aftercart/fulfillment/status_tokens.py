"""Tokens of the hosted order status page, pure: an HMAC of the order id under a server secret.

The page's link (the Order object's ``order_url``) is handed to the customer, who has no
Aftercart credentials; the token alone lets them see that one order. It is derived, not stored:
a link works for as long as the secret stays the same, until :data:`LINK_LIFETIME_AFTER_END`
after its order ends (is delivered, picked up or canceled).
"""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import quote

#: Keeps these MACs apart from any other use of the same secret.
PURPOSE: Final = b"aftercart order status page\x00"
#: 128 bits of the MAC, base64url without padding (22 characters).
TOKEN_BYTES: Final = 16
#: How long a link keeps working once its order has ended.
LINK_LIFETIME_AFTER_END: Final = timedelta(days=7)


def sign(order_id: str, secret: bytes) -> str:
    mac = hmac.new(secret, PURPOSE + order_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).rstrip(b"=").decode()


def verify(order_id: str, token: str, secret: bytes) -> bool:
    """Whether ``token`` is the order's, compared in constant time."""
    return hmac.compare_digest(sign(order_id, secret).encode(), token.encode())


def status_path(order_id: str) -> str:
    """The page's path; the order id is percent-encoded (a retailer's id may hold ``/``)."""
    return f"/orders/{quote(order_id, safe='')}/status"


def status_url(base_url: str, order_id: str, secret: bytes) -> str:
    """``{base_url}/orders/{order_id}/status?token=...``"""
    token = sign(order_id, secret)
    return f"{base_url.rstrip('/')}{status_path(order_id)}?token={token}"


def expired(ended: datetime | None, now: datetime) -> bool:
    """Whether a link to an order that ended at ``ended`` (see
    :func:`aftercart.post_checkout.lifecycle.ended_at`) no longer works at ``now``."""
    return ended is not None and now >= ended + LINK_LIFETIME_AFTER_END
