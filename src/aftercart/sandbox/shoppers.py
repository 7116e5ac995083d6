"""Sandbox shoppers."""

from typing import Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import InvalidParameter
from aftercart.models import Shopper

#: Phone numbers without a country code are read as US numbers.
DEFAULT_REGION: Final = "US"

#: Names given to shoppers created without one, picked by id (the customer's view names them).
FIRST_NAMES: Final = (
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Rowan",
    "Dana",
)

#: Top-level names reserved for tests and examples (RFC 2606, RFC 6761): no mail reaches them,
#: which is what a sandbox wants. ``example.com``, ``.net`` and ``.org`` pass email_validator as
#: they are; it takes ``.test`` in a test environment and refuses the others outright, so an
#: address under one of these is checked as if its top-level name were ``test``.
RESERVED_TLDS: Final = ("test", "example", "invalid", "localhost")

DUPLICATE_PHONE: Final = "An account already exists with this number"
DUPLICATE_EMAIL: Final = "An account already exists with this email"


def normalize_phone(raw: str) -> str:
    """The number in E.164 (``+14155550132``); a number that cannot exist is refused.

    Only the length and country are checked (``is_possible_number``), not the allocation of the
    area code, so made-up sandbox numbers such as ``555-555-5555`` are accepted.
    """
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidParameter("Invalid phone number", key="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """The address lower-cased, after a syntax check (no DNS look-up); addresses under the
    names reserved for tests are accepted."""
    address = raw.strip()
    local, _, domain = address.rpartition("@")
    head, dot, tld = domain.rpartition(".")
    reserved = tld.lower() if tld.lower() in RESERVED_TLDS else None
    if reserved:
        address = f"{local}@{head}{dot}test"
    try:
        normalized = validate_email(
            address, check_deliverability=False, test_environment=True
        ).normalized.lower()
    except EmailNotValidError:
        raise InvalidParameter("Invalid email", key="email") from None
    return normalized.removesuffix("test") + reserved if reserved else normalized


def default_first_name(shopper_id: int) -> str:
    return FIRST_NAMES[(shopper_id - 1) % len(FIRST_NAMES)]


async def _refuse_duplicates(
    session: AsyncSession, *, phone: str | None, email: str | None
) -> None:
    if phone and await session.scalar(select(Shopper.id).where(Shopper.phone == phone)):
        raise InvalidParameter(DUPLICATE_PHONE, key="phone")
    if email and await session.scalar(select(Shopper.id).where(Shopper.email == email)):
        raise InvalidParameter(DUPLICATE_EMAIL, key="email")


async def create_shopper(
    session: AsyncSession,
    *,
    email: str | None = None,
    phone: str | None = None,
    first_name: str | None = None,
) -> Shopper:
    email = normalize_email(email) if email else None
    phone = normalize_phone(phone) if phone else None
    await _refuse_duplicates(session, phone=phone, email=email)
    shopper = Shopper(email=email, phone=phone, first_name=(first_name or "").strip())
    try:
        # A concurrent create with the same phone or email loses here (PostgreSQL); SQLite
        # writers are serialised, so the checks above already saw the other row.
        async with session.begin_nested():
            session.add(shopper)
            await session.flush()
    except IntegrityError:
        await _refuse_duplicates(session, phone=phone, email=email)
        raise
    if not shopper.first_name:
        shopper.first_name = default_first_name(shopper.id)
        await session.flush()
    return shopper
