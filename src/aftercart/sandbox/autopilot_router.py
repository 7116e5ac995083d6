"""``/v2/fulfillment_sandbox/autopilot`` (an Aftercart addition), mounted with the sandbox. HTTP
only: the rules are :mod:`aftercart.sandbox.autopilot_service`'s."""

from typing import Annotated, Final

from fastapi import APIRouter, Body

from aftercart.auth.deps import FulfillmentClient
from aftercart.db.ids import RowId
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.sandbox import autopilot_service as service
from aftercart.sandbox.autopilot_schemas import (
    AutopilotCreate,
    AutopilotDetail,
    AutopilotList,
    AutopilotView,
)

AUTOPILOT_PATH: Final = "/v2/fulfillment_sandbox/autopilot"

router = APIRouter(prefix=AUTOPILOT_PATH, tags=["sandbox"], route_class=TransactionalRoute)


@router.post("", summary="Turn on an autopilot shopper")
async def turn_on(
    session: SessionDep,
    _client: FulfillmentClient,
    payload: Annotated[AutopilotCreate | None, Body()] = None,
) -> AutopilotView:
    """A sandbox shopper (the one named, else a new one) that takes the tenant's new delivery
    orders, oldest first and one at a time, each in a batch of its own, and plays it one step
    every ``step_seconds`` of clock time: picking each line as the seeded mix says, waiting for
    the customer's replacement decisions, answering the chat, checkout, the trip, delivery."""
    autopilot = await service.turn_on(session, payload or AutopilotCreate())
    return service.view(autopilot)


@router.get("", summary="List the tenant's autopilot shoppers, newest first")
async def list_autopilots(session: SessionDep, _client: FulfillmentClient) -> AutopilotList:
    autopilots = await service.list_autopilots(session)
    return AutopilotList(autopilots=[service.view(autopilot) for autopilot in autopilots])


@router.get("/{autopilot_id}", summary="Read an autopilot shopper and its orders")
async def read_autopilot(
    autopilot_id: RowId, session: SessionDep, _client: FulfillmentClient
) -> AutopilotDetail:
    """The autopilot and every order it took, with where each one's play is."""
    autopilot = await service.find(session, autopilot_id)
    return await service.detail(session, autopilot)


@router.delete("/{autopilot_id}", summary="Stop an autopilot shopper")
async def stop(
    autopilot_id: RowId, session: SessionDep, _client: FulfillmentClient
) -> AutopilotDetail:
    """It takes no more orders; the orders in progress stop where they are (advance their
    batches by hand to finish them). Stopping it again answers the same."""
    autopilot = await service.stop(session, autopilot_id)
    return await service.detail(session, autopilot)
