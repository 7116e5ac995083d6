"""API clients and access tokens."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth import scopes as sc
from aftercart.auth.secrets import digest, matches, new_client_id, new_token
from aftercart.db.aftercommit import AuthChanged, defer
from aftercart.db.types import utcnow
from aftercart.errors import OAuthError
from aftercart.linking import codes
from aftercart.models import AccessToken, ApiClient, AuthChange, Tenant, User


class UnknownTenant(LookupError):
    def __init__(self, tenant_id: int) -> None:
        super().__init__(f"There is no tenant {tenant_id}")


@dataclass(frozen=True)
class IssuedCredentials:
    client_id: str
    client_secret: str
    tenant_id: int


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scope: str
    created_at: datetime
    expires_in: int


@dataclass(frozen=True)
class TokenContext:
    """Who is calling: the client, and for a user token the user; for an order-link token also
    the one order it opens."""

    client_id: str
    #: The client's tenant: whose data the caller may see and change.
    tenant_id: int
    grant_type: str
    scopes: frozenset[str]
    user_id: str | None
    order_id: str | None = None


@dataclass(frozen=True)
class LiveToken:
    """A token that is neither expired nor revoked, with what its checks need."""

    context: TokenContext
    expires_at: datetime
    #: For a user token, whether its user is active; True for a client token.
    user_active: bool


async def create_client(
    session: AsyncSession,
    *,
    name: str,
    kind: str = "connect",
    marketplace: str | None = None,
    tenant_id: int | None = None,
) -> IssuedCredentials:
    """Registers a client in ``tenant_id``, or in a new tenant of its name when that is
    ``None``; the secret is returned here once and only its hash is kept. An unknown tenant is
    :class:`UnknownTenant`."""
    if tenant_id is None:
        tenant = Tenant(name=name)
        session.add(tenant)
        await session.flush()
        tenant_id = tenant.id
    elif await session.get(Tenant, tenant_id) is None:
        raise UnknownTenant(tenant_id)
    secret = new_token()
    client = ApiClient(
        client_id=new_client_id(),
        tenant_id=tenant_id,
        name=name,
        secret_hash=digest(secret),
        kind=kind,
        marketplace=marketplace,
    )
    session.add(client)
    await session.flush()
    return IssuedCredentials(client.client_id, secret, tenant_id)


async def authenticate_client(
    session: AsyncSession, client_id: str | None, client_secret: str | None, *, kind: str
) -> ApiClient | None:
    if not client_id or not client_secret:
        return None
    client = await session.get(ApiClient, client_id)
    if client is None or client.kind != kind or not matches(client_secret, client.secret_hash):
        return None
    return client


async def issue_token(
    session: AsyncSession,
    *,
    client: ApiClient,
    grant_type: str,
    scope: str | None,
    assertion: str | None,
    ttl_seconds: int,
    max_live_tokens: int = 0,
    code: str | None = None,
    redirect_uri: str | None = None,
    code_verifier: str | None = None,
) -> IssuedToken:
    """A new token for ``client``; refused (400) when the client already holds
    ``max_live_tokens`` live ones (0: no cap). Refusing rather than revoking the oldest keeps
    the tokens in use working, and costs no revocation, which would empty every process's
    token cache.

    ``authorization_code`` redeems ``code`` (with ``redirect_uri`` and, for PKCE,
    ``code_verifier``) for a linking token; a code used twice also revokes the token it gave."""
    if grant_type not in sc.SCOPES_BY_GRANT and grant_type != sc.AUTHORIZATION_CODE:
        raise OAuthError(
            400, "unsupported_grant_type", f"The grant type {grant_type!r} is not supported"
        )
    try:
        granted = sc.parse_requested(grant_type, scope)
    except sc.ScopeError as exc:
        raise OAuthError(400, "invalid_scope", str(exc)) from exc
    user_id: str | None = None
    if grant_type == sc.USER_ASSERTION:
        try:
            user_id = sc.user_id_from_assertion(assertion)
        except ValueError as exc:
            raise OAuthError(400, "invalid_grant", str(exc)) from exc
        if await session.get(User, (client.tenant_id, user_id)) is None:
            raise OAuthError(400, "invalid_grant", "The assertion names an unknown user")
    redeemed: codes.Redeemed | None = None
    if grant_type == sc.AUTHORIZATION_CODE:
        try:
            redeemed = await codes.redeem(
                session,
                client_id=client.client_id,
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            )
        except codes.CodeReused as reused:
            if reused.token_hash is not None:
                await revoke_by_hash(session, reused.token_hash)
            raise
    if max_live_tokens and (
        await count_live_tokens(session, client_id=client.client_id, up_to=max_live_tokens)
        >= max_live_tokens
    ):
        raise OAuthError(
            400,
            "invalid_request",
            f"This client already holds {max_live_tokens} live tokens, the most it may; "
            "reuse one until it expires, or revoke one",
        )
    issued = await store_token(
        session,
        client_id=client.client_id,
        tenant_id=client.tenant_id,
        grant_type=grant_type,
        scope=" ".join(granted),
        user_id=user_id,
        ttl_seconds=ttl_seconds,
    )
    if redeemed is not None:
        await codes.bind_token(session, redeemed, digest(issued.access_token))
    return issued


async def store_token(
    session: AsyncSession,
    *,
    client_id: str,
    tenant_id: int,
    grant_type: str,
    scope: str,
    ttl_seconds: int,
    user_id: str | None = None,
    order_id: str | None = None,
) -> IssuedToken:
    """A new bearer token; only its hash is stored."""
    token = new_token()
    now = utcnow()
    session.add(
        AccessToken(
            token_hash=digest(token),
            client_id=client_id,
            tenant_id=tenant_id,
            grant_type=grant_type,
            scope=scope,
            user_id=user_id,
            order_id=order_id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    await session.flush()
    return IssuedToken(token, scope, now, ttl_seconds)


async def count_live_tokens(session: AsyncSession, *, client_id: str, up_to: int) -> int:
    """How many unexpired, unrevoked tokens the client holds, counted up to ``up_to`` (the
    cap): the count reads at most that many entries of the index of live tokens. Order-link
    tokens are not the client's to manage, so they do not count (the token endpoint's limit
    per address bounds them)."""
    live = (
        select(AccessToken.id)
        .where(
            AccessToken.client_id == client_id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > utcnow(),
            AccessToken.order_id.is_(None),
        )
        .limit(up_to)
        .subquery()
    )
    return await session.scalar(select(func.count()).select_from(live)) or 0


async def revoke_token(session: AsyncSession, *, client: ApiClient, token: str) -> None:
    """Revokes a token issued to ``client``. Revoking an unknown token is a no-op (RFC 7009)."""
    row = await session.scalar(select(AccessToken).where(AccessToken.token_hash == digest(token)))
    if row is None:
        return
    if row.client_id != client.client_id:
        raise OAuthError(403, "unauthorized_client", "You are not authorized to revoke this token")
    await revoke_by_hash(session, row.token_hash)


async def revoke_by_hash(session: AsyncSession, token_hash: str) -> None:
    await session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == token_hash, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await record_auth_change(session, "token_revoked")


async def record_auth_change(session: AsyncSession, reason: str) -> None:
    """Notes a change that must end cached credentials, in every process (see
    :mod:`aftercart.auth.cache`)."""
    session.add(AuthChange(reason=reason, created_at=utcnow()))
    await session.flush()
    defer(session, AuthChanged())


async def auth_generation(session: AsyncSession) -> int:
    """The newest auth change's id (0 when there is none)."""
    return await session.scalar(select(func.max(AuthChange.id))) or 0


_TOKENS_USER = (User.tenant_id == AccessToken.tenant_id) & (User.user_id == AccessToken.user_id)

#: Built once: constructing the join costs more than running it.
_LIVE_TOKEN = (
    select(
        AccessToken.client_id,
        AccessToken.grant_type,
        AccessToken.scope,
        AccessToken.user_id,
        AccessToken.order_id,
        AccessToken.tenant_id,
        AccessToken.expires_at,
        AccessToken.revoked_at,
        User.active,
    )
    .outerjoin(User, _TOKENS_USER)
    .where(AccessToken.token_hash == bindparam("token_hash"))
)


async def resolve_token(session: AsyncSession, token: str) -> LiveToken | None:
    """The token if it is live, with its user's state, in one query; ``None`` if it is
    unknown, expired or revoked."""
    found = await session.execute(_LIVE_TOKEN, {"token_hash": digest(token)})
    row = found.one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    context = TokenContext(
        client_id=row.client_id,
        grant_type=row.grant_type,
        scopes=frozenset(row.scope.split()),
        user_id=row.user_id,
        order_id=row.order_id,
        tenant_id=row.tenant_id,
    )
    return LiveToken(context, row.expires_at, row.user_id is None or bool(row.active))


async def live_among(session: AsyncSession, token_hashes: Collection[str]) -> set[str]:
    """The digests among ``token_hashes`` whose tokens are live, and whose user (for a user
    token) is active: one query per 500 of them."""
    hashes = list(token_hashes)
    live: set[str] = set()
    now = utcnow()
    for start in range(0, len(hashes), 500):
        found = await session.scalars(
            select(AccessToken.token_hash)
            .outerjoin(User, _TOKENS_USER)
            .where(
                AccessToken.token_hash.in_(hashes[start : start + 500]),
                AccessToken.revoked_at.is_(None),
                AccessToken.expires_at > now,
                or_(AccessToken.user_id.is_(None), User.active.is_(True)),
            )
        )
        live.update(found)
    return live
