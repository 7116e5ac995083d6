"""Authorization codes: issued by the sandbox's authorize endpoint, redeemed once by the
``authorization_code`` grant of ``POST /v2/oauth/token`` for a linking token.

Issuing a code first deletes a batch of codes that can serve nothing any more (see
:func:`delete_finished`), in the same transaction, so the table holds about the codes of the
last ten minutes and those whose linking token is still live.

:mod:`aftercart.auth.service` redeems codes, so this module imports nothing of ``auth`` but its
scopes and hashes.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.secrets import digest, new_token
from aftercart.db.dialect import is_postgres
from aftercart.db.types import utcnow
from aftercart.errors import OAuthError
from aftercart.linking import rules
from aftercart.models import AccessToken, AuthorizationCode

#: Finished codes deleted at most per code issued: many more than the one added, so a backlog
#: goes in a few issues while no issue pays for all of it.
DELETE_BATCH: Final = 100


class CodeReused(OAuthError):
    """A code presented again once redeemed. The linking token it gave is revoked (RFC 6749
    §4.1.2: the code may have been stolen), and that revocation is kept though the answer is
    an error (see the token route)."""

    def __init__(self, token_hash: str | None) -> None:
        super().__init__(400, "invalid_grant", "The authorization code was already used")
        self.token_hash = token_hash


def _invalid(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


async def issue_code(
    session: AsyncSession,
    *,
    client_id: str,
    instacart_user_id: int,
    redirect_uri: str,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> str:
    """A new code (43 url-safe characters); only its hash is kept."""
    code = new_token()
    now = utcnow()
    await delete_finished(session, now=now)
    session.add(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=client_id,
            instacart_user_id=instacart_user_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            created_at=now,
            expires_at=now + rules.CODE_TTL,
        )
    )
    await session.flush()
    return code


async def delete_finished(session: AsyncSession, *, now: datetime) -> int:
    """Deletes up to :data:`DELETE_BATCH` expired codes that are unused, or whose linking token
    is no longer live (expired, revoked or gone); returns how many.

    A used code stays while its token lives: the token finds its Instacart account through the
    code's row, and presenting the code again must find the row to revoke that token. Every code
    stays at least until it expires. Rows another transaction holds are left for a later issue
    (``SKIP LOCKED`` on PostgreSQL), so two issues never wait for each other here."""
    live_token = exists().where(
        AccessToken.token_hash == AuthorizationCode.token_hash,
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > now,
    )
    finished = (
        select(AuthorizationCode.code_hash)
        .where(AuthorizationCode.expires_at <= now, ~live_token)
        .limit(DELETE_BATCH)
    )
    if is_postgres(session):
        finished = finished.with_for_update(skip_locked=True, of=AuthorizationCode)
    result = await session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.code_hash.in_(finished.scalar_subquery())
        ),
        execution_options={"synchronize_session": False},
    )
    deleted: int = result.rowcount  # type: ignore[attr-defined]
    return deleted


@dataclass(frozen=True)
class Redeemed:
    code_hash: str


async def redeem(
    session: AsyncSession,
    *,
    client_id: str,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> Redeemed:
    """Marks the code used, once every check passed: it exists and belongs to ``client_id``, is
    unused and unexpired, was issued for this ``redirect_uri``, and ``code_verifier`` answers its
    challenge. A failed check leaves the code as it was."""
    if not code:
        raise OAuthError(400, "invalid_request", "code can't be blank")
    if not redirect_uri:
        raise OAuthError(400, "invalid_request", "redirect_uri can't be blank")
    row = await session.get(AuthorizationCode, digest(code))
    if row is None or row.client_id != client_id:
        raise _invalid("The authorization code is unknown, or was issued to another client")
    if row.used_at is not None:
        raise CodeReused(row.token_hash)
    now = utcnow()
    if row.expires_at <= now:
        raise _invalid("The authorization code has expired")
    if row.redirect_uri != redirect_uri:
        raise _invalid("redirect_uri is not the one the authorization code was issued for")
    problem = rules.verifier_problem(code_verifier, row.code_challenge, row.code_challenge_method)
    if problem is not None:
        raise _invalid(problem)
    marked = await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        # Redeemed meanwhile by a concurrent request (PostgreSQL waited for its commit).
        raise CodeReused(
            await session.scalar(
                select(AuthorizationCode.token_hash).where(
                    AuthorizationCode.code_hash == row.code_hash
                )
            )
        )
    return Redeemed(row.code_hash)


async def bind_token(session: AsyncSession, redeemed: Redeemed, token_hash: str) -> None:
    """Records the linking token the code gave: how the token finds its Instacart account."""
    await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == redeemed.code_hash)
        .values(token_hash=token_hash)
    )
