"""Sandbox fault rules: stored per client, listed and removed through
``/v2/fulfillment_sandbox/faults`` and ``aftercart sandbox faults`` (``docs/sandbox.md``,
"Faults"). :mod:`.fault_injection` applies them to answers, :mod:`.webhook_faults` to webhook
deliveries; :mod:`.fault_rules` holds the rules themselves."""

import secrets
from collections.abc import Mapping

from fastapi import APIRouter
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.deps import FulfillmentClient
from aftercart.db.ids import RowId
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.errors import CapReached, NotFound
from aftercart.models import SandboxFault
from aftercart.sandbox.fault_rules import FAULTS_PATH, Effect, Rule, Target, build_rule
from aftercart.sandbox.fault_schemas import (
    EffectView,
    FaultCreate,
    FaultList,
    FaultsDeleted,
    FaultView,
)

#: Rules one client may hold: each request of the client is matched against all of them.
MAX_FAULTS_PER_CLIENT = 50
#: A seed chosen for a rule that names none: short enough to read back and type.
CHOSEN_SEED_BELOW = 2**31


def rule_of(row: SandboxFault) -> Rule:
    effect = Effect.of(row.effect, row.params)
    return Rule(Target(row.target), row.method, row.pattern, row.probability, row.seed, effect)


def rule_from(payload: FaultCreate) -> Rule:
    """The rule a request or the CLI describes (the seed chosen when it names none)."""
    seed = secrets.randbelow(CHOSEN_SEED_BELOW) if payload.seed is None else payload.seed
    return build_rule(
        target=payload.target,
        method=payload.method,
        path=payload.path,
        event=payload.event,
        probability=payload.probability,
        seed=seed,
        effect=payload.effect.as_input(),
    )


async def create_fault(session: AsyncSession, *, client_id: str, rule: Rule) -> SandboxFault:
    held = await session.scalar(
        select(func.count()).select_from(SandboxFault).where(SandboxFault.client_id == client_id)
    )
    if (held or 0) >= MAX_FAULTS_PER_CLIENT:
        raise CapReached(f"A client may hold {MAX_FAULTS_PER_CLIENT} fault rules at most")
    row = SandboxFault(
        client_id=client_id,
        target=rule.target,
        method=rule.method,
        pattern=rule.pattern,
        probability=rule.probability,
        seed=rule.seed,
        effect=rule.effect.kind,
        params=rule.effect.params(),
        consulted=0,
    )
    session.add(row)
    await session.flush()
    return row


async def list_faults(session: AsyncSession, *, client_id: str) -> list[SandboxFault]:
    found = await session.scalars(
        select(SandboxFault).where(SandboxFault.client_id == client_id).order_by(SandboxFault.id)
    )
    return list(found)


async def delete_fault(session: AsyncSession, *, client_id: str, fault_id: int) -> None:
    """Another client's rule is not found, as an unknown one."""
    deleted = await session.execute(
        delete(SandboxFault).where(SandboxFault.id == fault_id, SandboxFault.client_id == client_id)
    )
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound()


async def delete_all(session: AsyncSession, *, client_id: str) -> int:
    deleted = await session.execute(delete(SandboxFault).where(SandboxFault.client_id == client_id))
    count: int = deleted.rowcount  # type: ignore[attr-defined]
    return count


async def rules_of(
    session: AsyncSession, *, client_id: str, target: Target
) -> list[tuple[int, Rule]]:
    """The client's rules for ``target`` with their ids, in id order."""
    rows = await list_faults(session, client_id=client_id)
    return [(row.id, rule_of(row)) for row in rows if row.target == target]


_CONSULT = (
    update(SandboxFault)
    .where(SandboxFault.id == bindparam("fault_id"))
    .values(consulted=SandboxFault.consulted + bindparam("times"))
    .returning(SandboxFault.consulted)
    .execution_options(synchronize_session=False)
)


async def consult(session: AsyncSession, times: Mapping[int, int]) -> dict[int, int]:
    """Counts ``times[id]`` more consultations of each rule and gives the number (from 0) of the
    first of them; a rule removed meanwhile is left out. One atomic update per rule, so that
    concurrent requests, in any process, never draw the same number."""
    first: dict[int, int] = {}
    for fault_id in sorted(times):
        after = await session.scalar(_CONSULT, {"fault_id": fault_id, "times": times[fault_id]})
        if after is not None:
            first[fault_id] = after - times[fault_id]
    return first


def view(row: SandboxFault) -> FaultView:
    api = row.target == Target.API
    return FaultView(
        id=row.id,
        target=row.target,
        method=row.method if api else None,
        path=row.pattern if api else None,
        event=None if api else row.pattern,
        probability=row.probability,
        seed=row.seed,
        effect=EffectView(type=row.effect, **row.params),
        consulted=row.consulted,
        created_at=row.created_at,
    )


router = APIRouter(prefix=FAULTS_PATH, tags=["sandbox"], route_class=TransactionalRoute)


@router.post(
    "",
    status_code=201,
    response_model=FaultView,
    response_model_exclude_none=True,
    summary="Add a fault rule",
)
async def add_fault(
    payload: FaultCreate, session: SessionDep, client: FulfillmentClient
) -> FaultView:
    """An Aftercart addition: the calling client's requests (or webhook deliveries) that match
    are delayed, answered with an error or cut, from the next request on."""
    row = await create_fault(session, client_id=client.client_id, rule=rule_from(payload))
    return view(row)


@router.get("", response_model=FaultList, response_model_exclude_none=True)
async def read_faults(session: SessionDep, client: FulfillmentClient) -> FaultList:
    """The calling client's fault rules, oldest first."""
    rows = await list_faults(session, client_id=client.client_id)
    return FaultList(faults=[view(row) for row in rows])


@router.delete("/{fault_id}", response_model=FaultsDeleted)
async def remove_fault(
    fault_id: RowId, session: SessionDep, client: FulfillmentClient
) -> FaultsDeleted:
    await delete_fault(session, client_id=client.client_id, fault_id=fault_id)
    return FaultsDeleted(deleted=1)


@router.delete("", response_model=FaultsDeleted)
async def remove_all_faults(session: SessionDep, client: FulfillmentClient) -> FaultsDeleted:
    return FaultsDeleted(deleted=await delete_all(session, client_id=client.client_id))
