"""Connect users: create, read, update, and the checks every user path makes."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import record_auth_change
from aftercart.db.tenancy import tenant_of
from aftercart.errors import InvalidParameter, UserNotActive, UserNotFound
from aftercart.fulfillment import rules
from aftercart.fulfillment.schemas import UserCreate, UserUpdate
from aftercart.models import Base, User

TAKEN = "has already been taken"
#: As ``users.user_id`` is wide.
USER_ID_MAX = 255


async def find_user(session: AsyncSession, user_id: str, *, lock: bool = False) -> User | None:
    """The user, if there is one. ``lock`` takes ``FOR NO KEY UPDATE`` on PostgreSQL: it
    serialises one user's reservations without blocking inserts that reference the user."""
    statement = select(User).where(User.user_id == user_id)
    if lock:
        statement = statement.with_for_update(key_share=True)
    return await session.scalar(statement)


async def get_user(session: AsyncSession, user_id: str, *, lock: bool = False) -> User:
    """The user, or 400 ``User Not Found``."""
    user = await find_user(session, user_id, lock=lock)
    if user is None:
        raise UserNotFound()
    return user


async def active_user(session: AsyncSession, user_id: str, *, lock: bool = False) -> User:
    """The user, refused with 403 ``User Not Active`` when deactivated."""
    user = await get_user(session, user_id, lock=lock)
    if not user.active:
        raise UserNotActive()
    return user


async def insert_new(session: AsyncSession, row: Base, *, key: str) -> None:
    """Inserts a row whose natural key must be new; a duplicate is 400/1001 on ``key``.

    Callers check for the duplicate first; the savepoint turns the race where two requests
    insert the same key at once into the same answer instead of a 409.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise InvalidParameter(TAKEN, key=key) from exc


def _new_user(
    user_id: str,
    first_name: str,
    last_name: str | None,
    phone_number: str | None,
    locale: str | None,
) -> User:
    return User(
        user_id=user_id,
        first_name=rules.capitalize_name(first_name),
        last_name=rules.capitalize_name(last_name) if last_name else None,
        phone_number=phone_number,
        locale=locale,
        active=True,
    )


async def create_user(session: AsyncSession, *, body: UserCreate) -> User:
    if await session.get(User, (tenant_of(session), body.user_id)) is not None:
        raise InvalidParameter(TAKEN, key="user_id")
    user = _new_user(body.user_id, body.first_name, body.last_name, body.phone_number, body.locale)
    await insert_new(session, user, key="user_id")
    return user


async def create_from_path(
    session: AsyncSession,
    *,
    user_id: str,
    first_name: str,
    last_name: str | None,
    phone_number: str | None,
    locale: str | None,
) -> User:
    """A new user named by a path's ``user_id`` (checked here as the body's would be); a user
    created by a concurrent request meanwhile is that user."""
    if not user_id.strip():
        raise InvalidParameter("can't be blank", key="user_id")
    if len(user_id) > USER_ID_MAX:
        raise InvalidParameter(f"is too long (maximum is {USER_ID_MAX} characters)", key="user_id")
    user = _new_user(user_id, first_name, last_name, phone_number, locale)
    try:
        await insert_new(session, user, key="user_id")
    except InvalidParameter:
        return await get_user(session, user_id, lock=True)
    return user


async def update_user(session: AsyncSession, *, user_id: str, body: UserUpdate) -> User:
    """Works on an inactive user too: it is how a user is activated again."""
    user = await get_user(session, user_id, lock=True)
    sent = body.model_fields_set
    if body.first_name is not None:
        user.first_name = rules.capitalize_name(body.first_name)
    if "last_name" in sent:
        user.last_name = rules.capitalize_name(body.last_name) if body.last_name else None
    if "phone_number" in sent:
        user.phone_number = body.phone_number
    if "locale" in sent:
        user.locale = body.locale
    if body.active is not None:
        if user.active and not body.active:
            await record_auth_change(session, "user_deactivated")
        user.active = body.active
    await session.flush()
    return user
