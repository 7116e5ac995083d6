"""Account linking: the sandbox's Instacart users and their authorization, and the links of
Connect users to them.

A link is checked and written with the Connect user's row locked and then the Instacart
account's (``FOR NO KEY UPDATE`` on PostgreSQL, always in that order): two requests linking one
account, or one user, run one after the other, and the later sees the earlier's link.
"""

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.secrets import digest, hash_password
from aftercart.db.types import utcnow
from aftercart.errors import InvalidParameter
from aftercart.fulfillment.users import active_user
from aftercart.linking import codes, rules
from aftercart.linking.schemas import Authorize, InstacartUserCreate
from aftercart.models import AccessToken, AuthorizationCode, InstacartUser, UserLink
from aftercart.sandbox.lookup import internal_id
from aftercart.sandbox.schemas import parse
from aftercart.sandbox.shoppers import DUPLICATE_EMAIL, normalize_email, normalize_phone

INVALID_USER_ID = "Invalid user_id"
INVALID_TOKEN = "Linking token is invalid"
ALREADY_LINKED = "Validation failed: Common identities can only have one user per isolation context"
NOT_LINKED = "User Not Linked"


async def create_instacart_user(
    session: AsyncSession, *, body: InstacartUserCreate
) -> InstacartUser:
    email = normalize_email(body.email)
    phone = normalize_phone(body.phone)
    # Hashed before the first statement: on SQLite that is before the write lock is taken.
    password_hash = await asyncio.to_thread(hash_password, body.password)
    if await session.scalar(select(InstacartUser.id).where(InstacartUser.email == email)):
        raise InvalidParameter(DUPLICATE_EMAIL, key="email")
    account = InstacartUser(
        email=email,
        phone=phone,
        password_hash=password_hash,
        instacartplus_member=bool(body.instacartplus_member or body.express_member),
    )
    try:
        # A concurrent create with the same email loses here (PostgreSQL).
        async with session.begin_nested():
            session.add(account)
    except IntegrityError:
        raise InvalidParameter(DUPLICATE_EMAIL, key="email") from None
    return account


async def authorize(
    session: AsyncSession, *, client_id: str, user_ref: str, body: dict[str, Any] | None
) -> str:
    """An authorization code for the Instacart account ``user_ref``, bound to the calling
    client and to the body's ``redirect_uri``; the body is judged once the account is found."""
    pk = internal_id(user_ref)
    account = await session.get(InstacartUser, pk) if pk else None
    if account is None:
        raise InvalidParameter(INVALID_USER_ID, key="user_id")
    request = parse(Authorize, body)
    challenge, method = request.code_challenge, request.code_challenge_method
    if challenge is None and method is not None:
        raise InvalidParameter("can't be blank", key="code_challenge")
    if challenge is not None:
        method = method or rules.PLAIN
        if (problem := rules.challenge_problem(challenge, method)) is not None:
            raise InvalidParameter(problem, key="code_challenge")
    return await codes.issue_code(
        session,
        client_id=client_id,
        instacart_user_id=account.id,
        redirect_uri=request.redirect_uri,
        code_challenge=challenge,
        code_challenge_method=method,
    )


async def _account_of(session: AsyncSession, linking_token: str) -> int:
    """The Instacart account of a live linking token (unexpired, unrevoked), if the account is
    the session's tenant's: joining it brings the tenant's condition in."""
    found = await session.scalar(
        select(AuthorizationCode.instacart_user_id)
        .join(AccessToken, AccessToken.token_hash == AuthorizationCode.token_hash)
        .join(InstacartUser, InstacartUser.id == AuthorizationCode.instacart_user_id)
        .where(
            AuthorizationCode.token_hash == digest(linking_token),
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > utcnow(),
        )
    )
    if found is None:
        raise InvalidParameter(INVALID_TOKEN, key="linking_token")
    return found


async def link_user(session: AsyncSession, *, user_id: str, linking_token: str) -> None:
    """Links the user to the token's account. Linking the same pair again changes nothing; a
    user already linked to another account is linked to this one instead; an account linked to
    another user is refused."""
    user = await active_user(session, user_id, lock=True)
    account_id = await _account_of(session, linking_token)
    await session.scalar(
        select(InstacartUser.id)
        .where(InstacartUser.id == account_id)
        .with_for_update(key_share=True)
    )
    holder = await session.scalar(
        select(UserLink.user_id).where(UserLink.instacart_user_id == account_id)
    )
    if holder is not None and holder != user.user_id:
        raise InvalidParameter(ALREADY_LINKED, key="linking_token")
    if holder is not None:
        return
    link = await session.get(UserLink, (user.tenant_id, user.user_id))
    try:
        async with session.begin_nested():
            if link is None:
                session.add(UserLink(user_id=user.user_id, instacart_user_id=account_id))
            else:
                link.instacart_user_id, link.linked_at = account_id, utcnow()
    except IntegrityError:
        raise InvalidParameter(ALREADY_LINKED, key="linking_token") from None


async def linked_account(session: AsyncSession, *, user_id: str) -> InstacartUser:
    user = await active_user(session, user_id)
    account = await session.scalar(
        select(InstacartUser)
        .join(UserLink, UserLink.instacart_user_id == InstacartUser.id)
        .where(UserLink.user_id == user.user_id)
    )
    if account is None:
        raise InvalidParameter(NOT_LINKED, key="user_id")
    return account
