"""The Order object's ``order_url``: the base URL, and the secret that signs the link.

The secret is ``AFTERCART_ORDER_URL_SECRET`` when set; otherwise one the service generated on its
first start and keeps in the database, so every process on it signs alike and links given out
keep working across restarts. It is resolved once, at start-up (:func:`order_url_secret`).
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings, SettingsDep
from aftercart.db.server_secrets import kept_secret
from aftercart.fulfillment import status_tokens

#: The name of the generated secret in ``server_secrets``.
SECRET_NAME = "order_url"


async def order_url_secret(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> bytes:
    configured = settings.order_url_secret
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode()
    return await kept_secret(sessions, SECRET_NAME)


@dataclass(frozen=True)
class OrderLinks:
    """Signs and checks status page links for one request."""

    base_url: str
    secret: bytes

    def url(self, tenant_id: int, order_id: str) -> str:
        return status_tokens.status_url(self.base_url, tenant_id, order_id, self.secret)

    def verify(self, order_id: str, token: str) -> int | None:
        """The order's tenant if the token is the order's, else None."""
        return status_tokens.verify(order_id, token, self.secret)


async def _links(request: Request, settings: SettingsDep) -> OrderLinks:
    base = settings.public_url or str(request.base_url)
    return OrderLinks(base_url=base, secret=request.app.state.order_url_secret)


OrderLinksDep = Annotated[OrderLinks, Depends(_links)]
