"""A retailer's branding on the order status page, stored on its API client (set by
``aftercart clients brand``); the rules of what is accepted are :mod:`aftercart.web.brand`."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.models import ApiClient
from aftercart.web import brand


@dataclass(frozen=True)
class BrandChange:
    """What to change: ``None`` leaves a part as it is; ``clear`` removes all of them first."""

    name: str | None = None
    colour: str | None = None
    logo: bytes | None = None
    clear: bool = False


async def set_brand(session: AsyncSession, *, client_id: str, change: BrandChange) -> ApiClient:
    """Applies ``change`` to a Connect client's brand, checking every part before writing any."""
    client = await session.get(ApiClient, client_id)
    if client is None or client.kind != "connect":
        raise brand.BrandError(f"No Connect client has the id {client_id!r}")
    name = brand.parse_name(change.name) if change.name is not None else None
    colour = brand.parse_colour(change.colour) if change.colour is not None else None
    logo_type = brand.logo_type(change.logo) if change.logo is not None else None
    if change.clear:
        client.brand_name = client.brand_colour = client.brand_logo_type = None
        client.brand_logo = None
    if name is not None:
        client.brand_name = name
    if colour is not None:
        client.brand_colour = colour
    if change.logo is not None:
        client.brand_logo, client.brand_logo_type = change.logo, logo_type
    await session.flush()
    return client
