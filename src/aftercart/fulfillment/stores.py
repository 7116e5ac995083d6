"""Finding stores: nearest first, only those offering the service."""

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import InvalidParameter
from aftercart.fulfillment import geo
from aftercart.fulfillment.schemas import FindBy
from aftercart.models import Store

#: How far a store reaches: delivery about a 30-minute drive, pickup a longer trip by the customer.
RADIUS_KM: Final = {"delivery": 16.0, "pickup": 80.0, "last_mile": 16.0}


async def _postal_code_point(session: AsyncSession, postal_code: str) -> tuple[float, float]:
    """A US ZIP's centroid, else the position of a store with that exact postal code (so that a
    non-US store can still be found by its own code)."""
    point = geo.zip_centroid(postal_code)
    if point is not None:
        return point
    store = await session.scalar(
        select(Store).where(Store.postal_code == postal_code).order_by(Store.location_code)
    )
    if store is None:
        raise InvalidParameter("is not a known postal code", key="find_by.postal_code")
    return store.latitude, store.longitude


async def _search_point(
    session: AsyncSession, find_by: FindBy, service_type: str
) -> tuple[float, float]:
    if find_by.latitude is not None or find_by.longitude is not None:
        if find_by.latitude is None:
            raise InvalidParameter("can't be blank", key="find_by.latitude")
        if find_by.longitude is None:
            raise InvalidParameter("can't be blank", key="find_by.longitude")
        return find_by.latitude, find_by.longitude
    if service_type != "pickup" and not find_by.address_line_1:
        raise InvalidParameter("can't be blank", key="find_by.address_line_1")
    if not find_by.postal_code:
        raise InvalidParameter("can't be blank", key="find_by.postal_code")
    return await _postal_code_point(session, geo.normalize_postal_code(find_by.postal_code))


async def find_stores(
    session: AsyncSession, *, find_by: FindBy, service_type: str
) -> list[tuple[Store, float]]:
    """Stores offering ``service_type`` within its radius, with their distance in km."""
    latitude, longitude = await _search_point(session, find_by, service_type)
    radius = RADIUS_KM[service_type]
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(latitude, longitude, radius)
    offers = Store.pickup if service_type == "pickup" else Store.delivery
    candidates = await session.scalars(
        select(Store).where(
            offers,
            Store.latitude.between(min_lat, max_lat),
            Store.longitude.between(min_lon, max_lon),
        )
    )
    found = [
        (store, geo.distance_km(latitude, longitude, store.latitude, store.longitude))
        for store in candidates
    ]
    return sorted(
        ((store, km) for store, km in found if km <= radius),
        key=lambda pair: (pair[1], pair[0].location_code),
    )


async def store_offering(session: AsyncSession, location_code: str, service_type: str) -> Store:
    """The store behind a ``location_code`` in a body, which must offer ``service_type``."""
    store = await session.get(Store, location_code)
    if store is None:
        raise InvalidParameter("Store not found", key="location_code")
    if not (store.pickup if service_type == "pickup" else store.delivery):
        raise InvalidParameter(f"does not offer {service_type}", key="location_code")
    return store
