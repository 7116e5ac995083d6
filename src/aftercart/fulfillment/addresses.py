"""A user's addresses, validated: Instacart's "Create a Connect user and validate an address".

The postal code places the address (a US ZIP through the ``zipcodes`` package, else a store's
own postal code, as the store search does); :mod:`.address_rules` spells it out; the delivery
store search tells whether it is a long-distance delivery.
"""

from functools import lru_cache
from typing import Any

import zipcodes
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.tenancy import tenant_of
from aftercart.errors import AddressNotFound, UserNotActive, UserNotFound
from aftercart.fulfillment import address_rules, geo, stores, users
from aftercart.fulfillment.address_rules import NormalAddress, Place, Rejection, ZipRecord
from aftercart.fulfillment.schemas import AddressCreate, FindBy
from aftercart.models import Store, User, UserAddress


@lru_cache(maxsize=4096)
def zip_record(zip5: str) -> ZipRecord | None:
    """An active US ZIP code's record. Only a well-formed ZIP reaches the package: its native
    matcher panics on text that is not ASCII."""
    if not geo.US_ZIP.fullmatch(zip5):
        return None
    try:
        matches: list[dict[str, Any]] = zipcodes.matching(zip5)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        return None
    active = [match for match in matches if match.get("active", True)]
    if not active:
        return None
    record = active[0]
    return ZipRecord(
        city=str(record["city"]),
        acceptable_cities=tuple(str(city) for city in record.get("acceptable_cities") or ()),
        state=str(record["state"]),
        latitude=float(record["lat"]),
        longitude=float(record["long"]),
    )


async def _place(session: AsyncSession, postal_code: str) -> tuple[str, str | None, Place]:
    """``(postal code as stored, ZIP+4 add-on, the place)``, or 400 ``Address not found``."""
    split = address_rules.split_us_zip(postal_code)
    if split is not None:
        zip5, plus_four = split
        record = zip_record(zip5)
        if record is None:
            raise AddressNotFound(key="postal_code")
        place = Place(
            city=record.city,
            state=record.state,
            latitude=record.latitude,
            longitude=record.longitude,
            other_cities=record.acceptable_cities,
        )
        return zip5, plus_four, place
    code = geo.normalize_postal_code(postal_code)
    store = await session.scalar(
        select(Store).where(Store.postal_code == code).order_by(Store.location_code)
    )
    if store is None:
        raise AddressNotFound(key="postal_code")
    return code, None, Place(store.city, store.state, store.latitude, store.longitude)


async def validate(session: AsyncSession, body: AddressCreate) -> tuple[NormalAddress, Place]:
    postal_code, plus_four, place = await _place(session, body.postal_code)
    result = address_rules.normalise(
        address_line_1=body.address_line_1,
        address_line_2=body.address_line_2,
        address_type=body.address_type,
        city=body.city,
        postal_code=postal_code,
        zip_plus_four=plus_four,
        place=place,
    )
    if isinstance(result, Rejection):
        raise AddressNotFound(key=result.key)
    return result, place


async def long_distance(session: AsyncSession, place: Place) -> bool:
    """Whether no delivery store is within a 30-minute drive (see ``address_rules``)."""
    near = FindBy(latitude=place.latitude, longitude=place.longitude)
    found = await stores.find_stores(session, find_by=near, service_type="delivery")
    return address_rules.long_distance(found[0][1] if found else None)


async def _user(session: AsyncSession, user_id: str, body: AddressCreate) -> User | None:
    """The existing user (which must be active), or ``None`` when one will be created."""
    user = await users.find_user(session, user_id, lock=True)
    if user is None:
        if body.first_name is None:
            raise UserNotFound()
        return None
    if not user.active:
        raise UserNotActive()
    return user


async def add_address(session: AsyncSession, *, user_id: str, body: AddressCreate) -> UserAddress:
    """Validates the address and keeps it for the user, creating the user when new.

    An existing user is left as it is (the user fields of the body only serve a new user); the
    same address sent again is the same row, refreshed. Every check runs before any write.
    """
    user = await _user(session, user_id, body)
    address, place = await validate(session, body)
    far = await long_distance(session, place)
    if user is None:
        await users.create_from_path(
            session,
            user_id=user_id,
            first_name=body.first_name or "",
            last_name=body.last_name,
            phone_number=body.phone_number,
            locale=body.locale,
        )
    key = address_rules.address_key(address)
    row = await session.get(UserAddress, (tenant_of(session), user_id, key))
    if row is None:
        row = UserAddress(user_id=user_id, address_key=key)
        session.add(row)
    row.address_line_1 = address.address_line_1
    row.address_line_2 = address.address_line_2
    row.address_type = address.address_type
    row.city = address.city
    row.state = address.state
    row.postal_code = address.postal_code
    row.zip_plus_four = address.zip_plus_four
    row.latitude = place.latitude
    row.longitude = place.longitude
    row.long_distance_delivery = far
    await session.flush()
    return row
