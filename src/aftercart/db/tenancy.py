"""Tenant isolation, in one place: a session that serves a tenant reads, changes and writes only
that tenant's rows.

Authentication names the session's tenant (:func:`serve_tenant`). From then on every ORM query
the session runs (selects, ``session.get``, relationship loads, ORM updates and deletes) carries
``tenant_id = :tenant`` for each tenant-owned table it touches (SQLAlchemy's
``with_loader_criteria``), and a tenant-owned row added without a tenant gets the session's
before it is written. So an endpoint cannot forget the tenant: another tenant's order is, to it,
an order that does not exist. Sessions that serve no tenant (the background workers, the
CLI's administration) see every row, and must give a row they add its tenant themselves.
"""

import functools
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.util import LoaderCriteriaOption

from aftercart import models

#: Tables with a ``tenant_id`` that a tenant's session may see only its own rows of.
TENANT_OWNED: Final = (
    models.ApiClient,
    models.Autopilot,
    models.AutopilotRun,
    models.Batch,
    models.Event,
    models.InstacartUser,
    models.Order,
    models.PosTransaction,
    models.Rating,
    models.ServiceOptionHold,
    models.Shopper,
    models.User,
    models.UserAddress,
    models.UserLink,
)
_KEY: Final = "tenant_id"


class NoTenant(RuntimeError):
    """A tenant-owned row was added by a session that serves no tenant, without one."""


def serve_tenant(session: AsyncSession | Session, tenant_id: int) -> None:
    """From now on, ``session`` sees and writes ``tenant_id``'s rows only."""
    session.info[_KEY] = tenant_id


def served_tenant(session: AsyncSession | Session) -> int | None:
    tenant: int | None = session.info.get(_KEY)
    return tenant


def tenant_of(session: AsyncSession | Session) -> int:
    """The tenant ``session`` serves; for code that only runs for a tenant's request."""
    tenant = served_tenant(session)
    if tenant is None:
        raise NoTenant("this session serves no tenant")
    return tenant


@functools.lru_cache(maxsize=1024)
def _criteria(tenant: int) -> tuple[LoaderCriteriaOption, ...]:
    """The options that limit a statement to ``tenant``'s rows, made once per tenant: building
    them for every statement cost more than running the statement (bench/tenant_scope.py)."""
    return tuple(
        with_loader_criteria(owned, lambda cls: cls.tenant_id == tenant, include_aliases=True)
        for owned in TENANT_OWNED
    )


@event.listens_for(Session, "do_orm_execute")
def _only_the_tenants_rows(state: ORMExecuteState) -> None:
    tenant = state.session.info.get(_KEY)
    if tenant is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*_criteria(tenant))


@event.listens_for(Session, "before_flush")
def _new_rows_are_the_tenants(session: Session, *_: Any) -> None:
    tenant = session.info.get(_KEY)
    for row in session.new:
        if isinstance(row, TENANT_OWNED) and row.tenant_id is None:
            if tenant is None:
                raise NoTenant(f"a new {type(row).__name__} needs a tenant")
            row.tenant_id = tenant
