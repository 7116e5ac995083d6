"""``/v2/fulfillment_sandbox/monitor``: the request monitor's lists (Aftercart additions),
mounted with the sandbox. HTTP only: the reads are :mod:`aftercart.sandbox.monitor`'s."""

from typing import Annotated

from fastapi import APIRouter, Query

from aftercart.auth.deps import FulfillmentClient
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.sandbox import monitor
from aftercart.sandbox.monitor_middleware import MONITOR_PATH
from aftercart.sandbox.monitor_schemas import MonitoredAttemptList, MonitoredRequestList
from aftercart.sandbox.schemas import PageParams

router = APIRouter(prefix=MONITOR_PATH, tags=["sandbox"], route_class=TransactionalRoute)


@router.get("/requests", summary="List the caller's last requests, newest first")
async def list_requests(
    params: Annotated[PageParams, Query()], session: SessionDep, client: FulfillmentClient
) -> MonitoredRequestList:
    """The last requests the calling client made and the answers it got (at most
    ``AFTERCART_MONITOR_SIZE`` are kept), secrets masked and bodies trimmed. Reads of the
    monitor itself are not recorded."""
    return await monitor.list_requests(session, client_id=client.client_id, params=params)


@router.get("/webhook_attempts", summary="List the caller's webhook attempts, newest first")
async def list_webhook_attempts(
    params: Annotated[PageParams, Query()], session: SessionDep, client: FulfillmentClient
) -> MonitoredAttemptList:
    """Every attempt to deliver a webhook to one of the caller's subscriptions: the receiver,
    the event, the attempt's number, the answer's status and time, and the error."""
    return await monitor.list_attempts(session, client_id=client.client_id, params=params)
