"""``/dashboard``: the retailer's pages, for a Connect client logged in with its credentials.

HTTP only: the session and CSRF rules are in :mod:`.sessions`, the reads in :mod:`.service`, the
charts in :mod:`.rules`. Kept out of the OpenAPI document: these are pages, not the API.
"""

import io
from datetime import datetime
from functools import partial
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth import scopes as sc
from aftercart.auth import service as auth
from aftercart.config import SettingsDep
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.errors import NotFound, OAuthError, TooManyRequests
from aftercart.events.webhooks import service as webhooks
from aftercart.feedback.export import ExportFormat, export_ratings
from aftercart.feedback.rules import RATINGS, Highlight
from aftercart.fulfillment.order_links import OrderLinksDep
from aftercart.fulfillment.rules import order_status
from aftercart.limits.deps import token_attempt
from aftercart.models import ApiClient
from aftercart.sandbox import monitor_recorder
from aftercart.web.dashboard import rules, service, sessions
from aftercart.web.dashboard.sessions import Session
from aftercart.web.templating import PAGE_HEADERS, page

router = APIRouter(prefix=sessions.PATH, route_class=TransactionalRoute, include_in_schema=False)

LOGIN: Final = f"{sessions.PATH}/login"
HOME: Final = f"{sessions.PATH}/ratings"
NAV: Final = (
    ("ratings", "Ratings"),
    ("webhooks", "Webhooks"),
    ("orders", "Orders in flight"),
    ("monitor", "Monitor"),
)


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


def to_the_second(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


def _logged_out(request: Request) -> RedirectResponse:
    response = _redirect(LOGIN)
    sessions.clear_session(response, request)
    return response


async def _frame(
    db: SessionDep, dash: Session, current: str, template: str, **context: Any
) -> HTMLResponse:
    """A logged-in page: the navigation, the client's name and the logout form's CSRF token."""
    client = await db.get(ApiClient, dash.client_id)
    return page(
        template,
        nav=NAV,
        current=current,
        client_name=client.name if client else dash.client_id,
        csrf=dash.csrf,
        when=when,
        **context,
    )


def _refused() -> HTMLResponse:
    return page("dashboard/refused.html", status_code=403)


def _login_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    nonce = sessions.login_nonce(request)
    response = page(
        "dashboard/login.html",
        status_code=status_code,
        csrf=sessions.login_csrf(sessions.csrf_secret(request), nonce),
        error=error,
        client_id="",
    )
    sessions.start_login(response, request, nonce)
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request, db: SessionDep) -> Response:
    dash = await sessions.current_session(request, db)
    return _redirect(HOME if dash else LOGIN)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, db: SessionDep) -> Response:
    if await sessions.current_session(request, db) is not None:
        return _redirect(HOME)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    form = await request.form()
    if not sessions.login_csrf_ok(request, _text(form.get("csrf"))):
        return _refused()
    client_id, secret = _text(form.get("client_id")), _text(form.get("client_secret"))
    try:
        attempt = await token_attempt(request, client_id)
    except TooManyRequests:
        return _login_page(request, error="Too many attempts. Wait a minute.", status_code=429)
    client = await auth.authenticate_client(db, client_id, secret, kind="connect")
    if client is None:
        await attempt.failed()
        error = "That client ID and secret do not match a Connect client."
        return _login_page(request, error=error, status_code=401)
    try:
        issued = await auth.issue_token(
            db,
            client=client,
            grant_type=sc.CLIENT_CREDENTIALS,
            scope=sessions.SCOPES,
            assertion=None,
            ttl_seconds=settings.token_ttl_seconds,
            max_live_tokens=settings.max_tokens_per_client,
        )
    except OAuthError as exc:
        return _login_page(request, error=exc.description, status_code=exc.status_code)
    response = _redirect(HOME)
    sessions.set_session(response, request, issued.access_token, issued.expires_in)
    return response


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def _posted_by_session(request: Request, db: AsyncSession) -> Session | Response:
    """The session that posted the form, its CSRF token checked; else the answer to give (the
    login page without a session, 403 with a wrong token)."""
    dash = await sessions.current_session(request, db)
    if dash is None:
        return _logged_out(request)
    form = await request.form()
    if not dash.csrf_ok(_text(form.get("csrf"))):
        return _refused()
    return dash


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request, db: SessionDep) -> Response:
    dash = await _posted_by_session(request, db)
    if isinstance(dash, Response):
        return dash
    client = await db.get(ApiClient, dash.client_id)
    if client is not None:
        await auth.revoke_token(db, client=client, token=dash.token)
    return _logged_out(request)


@router.get("/ratings", response_class=HTMLResponse)
async def ratings(request: Request, db: SessionDep) -> Response:
    dash = await sessions.current_session(request, db)
    if dash is None:
        return _logged_out(request)
    filters = rules.parse_filters(request.query_params)
    view = await service.read_ratings(db, filters, cursor=request.query_params.get("cursor"))
    days = rules.days_series(
        {day.day: day.count for day in view.days},
        first=filters.first_day,
        last=filters.last_day,
    )
    summary = view.summary
    distribution = [(rules.stars_label(n), summary.distribution[str(n)]) for n in RATINGS]
    query = filters.query()
    next_url = None
    if view.page.next_cursor:
        next_url = f"?{urlencode(query | {'cursor': view.page.next_cursor})}"
    return await _frame(
        db,
        dash,
        "ratings",
        "dashboard/ratings.html",
        filters=filters,
        view=view,
        summary=summary,
        days=days,
        per_day=rules.column_chart([(d.isoformat(), n) for d, n in days]),
        day_figures=view.days,
        distribution=rules.bar_chart(distribution),
        highlights=[(h.value, summary.highlights.get(h.value, 0)) for h in Highlight],
        sources=sorted({*rules.KNOWN_SOURCES, *(s.source for s in summary.by_source)}),
        source_name=rules.source_name,
        stars_text=rules.stars_text,
        percent=rules.percent,
        csv_url=f"{sessions.PATH}/ratings.csv" + (f"?{urlencode(query)}" if query else ""),
        next_url=next_url,
        first_url=f"?{urlencode(query)}" if request.query_params.get("cursor") else None,
    )


@router.get("/ratings.csv")
async def ratings_csv(request: Request, db: SessionDep) -> Response:
    dash = await sessions.current_session(request, db)
    if dash is None:
        return _logged_out(request)
    filters = rules.parse_filters(request.query_params)
    out = io.StringIO()
    await export_ratings(db, filters=service.rating_filters(filters), fmt=ExportFormat.CSV, out=out)
    headers = {
        **PAGE_HEADERS,
        "Content-Disposition": 'attachment; filename="ratings.csv"',
    }
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks_page(request: Request, db: SessionDep) -> Response:
    dash = await sessions.current_session(request, db)
    if dash is None:
        return _logged_out(request)
    redelivered = request.query_params.get("redelivered", "")
    return await _frame(
        db,
        dash,
        "webhooks",
        "dashboard/webhooks.html",
        subscriptions=await service.read_webhooks(db, client_id=dash.client_id),
        redelivered=redelivered if redelivered.isdigit() else None,
    )


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", response_class=HTMLResponse)
async def redeliver(delivery_id: str, request: Request, db: SessionDep) -> Response:
    dash = await _posted_by_session(request, db)
    if isinstance(dash, Response):
        return dash
    if not delivery_id.isdigit() or int(delivery_id) >= 2**63:
        return page("dashboard/not_found.html", status_code=404)
    try:
        await webhooks.redeliver(db, delivery_id=int(delivery_id), client_id=dash.client_id)
    except NotFound:
        return page("dashboard/not_found.html", status_code=404)
    return _redirect(f"{sessions.PATH}/webhooks?{urlencode({'redelivered': delivery_id})}")


@router.get("/orders", response_class=HTMLResponse)
async def orders(request: Request, db: SessionDep, links: OrderLinksDep) -> Response:
    dash = await sessions.current_session(request, db)
    if dash is None:
        return _logged_out(request)
    rows = await service.orders_in_flight(db)
    return await _frame(
        db,
        dash,
        "orders",
        "dashboard/orders.html",
        orders=rows,
        status_of=order_status,
        link=partial(links.url, dash.context.tenant_id),
        max_orders=service.MAX_ORDERS,
    )


@router.get("/monitor", response_class=HTMLResponse)
async def monitor_page(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """The request monitor; its script reads this page again every 2 s and swaps in the lists."""
    dash = await sessions.current_session(request, db)
    if dash is None:
        return _logged_out(request)
    return await _frame(
        db,
        dash,
        "monitor",
        "dashboard/monitor.html",
        view=await service.read_monitor(db, client_id=dash.client_id),
        recording=monitor_recorder.enabled(settings),
        size=settings.monitor_size,
        rows=service.MONITOR_ROWS,
        at=to_the_second,
        status_kind=rules.status_kind,
        pretty=rules.pretty_body,
    )
