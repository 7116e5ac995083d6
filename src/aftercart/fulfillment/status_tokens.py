"""Tokens of the hosted order status page, pure: an HMAC of the order's tenant and id under a
server secret.

An order id is unique within its tenant only, so the token names the tenant: ``{tenant}.{mac}``.
Orders of the default tenant (1) have the bare MAC of the order id, as every link had before
there were tenants, so links already handed out keep working.

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


#: The tenant whose tokens carry no tenant (see the module's docstring).
UNNAMED_TENANT: Final = 1


def _mac(message: str, secret: bytes) -> str:
    mac = hmac.new(secret, PURPOSE + message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).rstrip(b"=").decode()


def sign(tenant_id: int, order_id: str, secret: bytes) -> str:
    if tenant_id == UNNAMED_TENANT:
        return _mac(order_id, secret)
    return f"{tenant_id}." + _mac(f"{tenant_id}/{order_id}", secret)


def verify(order_id: str, token: str, secret: bytes) -> int | None:
    """The order's tenant if ``token`` is the order's (compared in constant time), else None."""
    named, dot, _ = token.partition(".")
    tenant_id = int(named) if dot and named.isascii() and named.isdigit() and len(named) < 10 else 1
    if hmac.compare_digest(sign(tenant_id, order_id, secret).encode(), token.encode()):
        return tenant_id
    return None


def status_path(order_id: str) -> str:
    """The page's path; the order id is percent-encoded (a retailer's id may hold ``/``)."""
    return f"/orders/{quote(order_id, safe='')}/status"


def status_url(base_url: str, tenant_id: int, order_id: str, secret: bytes) -> str:
    """``{base_url}/orders/{order_id}/status?token=...``"""
    token = sign(tenant_id, order_id, secret)
    return f"{base_url.rstrip('/')}{status_path(order_id)}?token={token}"


def expired(ended: datetime | None, now: datetime) -> bool:
    """Whether a link to an order that ended at ``ended`` (see
    :func:`aftercart.post_checkout.lifecycle.ended_at`) no longer works at ``now``."""
    return ended is not None and now >= ended + LINK_LIFETIME_AFTER_END
