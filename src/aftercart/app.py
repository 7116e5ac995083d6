"""The application factory. Engines, sessions and background loops are made in the lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from aftercart import __version__, cors, envelopes, health, modes, openapi
from aftercart.auth.cache import TokenCache, kept_in_sync
from aftercart.auth.router import router as auth_router
from aftercart.config import Settings, get_settings
from aftercart.db.aftercommit import AfterCommit, AuthChanged
from aftercart.db.engine import create_engine, read_session_factory, session_factory
from aftercart.db.migrate import upgrade
from aftercart.db.server_secrets import kept_secret
from aftercart.events import background
from aftercart.events.router import router as events_router
from aftercart.events.stream.leases import SharedCap
from aftercart.events.stream.tokens import TokenWatch
from aftercart.feedback.router import router as feedback_router
from aftercart.fulfillment.order_links import order_url_secret
from aftercart.fulfillment.router import router as fulfillment_router
from aftercart.lastmile.router import router as lastmile_router
from aftercart.limits import service as limits
from aftercart.linking.router import router as linking_router
from aftercart.linking.sandbox_router import router as linking_sandbox_router
from aftercart.marketplace.router import router as marketplace_router
from aftercart.middleware import BodyLimitMiddleware, RequestLogMiddleware
from aftercart.observability import logs, metrics
from aftercart.observability.router import router as metrics_router
from aftercart.openapi import pages as docs_pages
from aftercart.post_checkout.router import router as post_checkout_router
from aftercart.sandbox import monitor_recorder
from aftercart.sandbox.autopilot_router import router as autopilot_router
from aftercart.sandbox.clock_router import router as clock_router
from aftercart.sandbox.clock_scope import ClockScope
from aftercart.sandbox.fault_injection import FaultMiddleware
from aftercart.sandbox.faults import router as faults_router
from aftercart.sandbox.monitor_middleware import RequestMonitorMiddleware
from aftercart.sandbox.monitor_router import router as monitor_router
from aftercart.sandbox.reset_router import router as reset_router
from aftercart.sandbox.router import router as sandbox_router
from aftercart.transactions.router import router as transactions_router
from aftercart.web import templating
from aftercart.web.console import router as console_router
from aftercart.web.dashboard.router import router as dashboard_router
from aftercart.web.router import router as web_router

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or get_settings()
    modes.check(settings)
    logs.configure(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        if migrate:
            await upgrade(engine)
        app.state.engine = engine
        log.info(modes.summary(settings))
        app.state.after_commit = after_commit = AfterCommit()
        app.state.sessions = session_factory(engine, after_commit)
        app.state.read_sessions = read_session_factory(engine, after_commit)
        app.state.order_url_secret = await order_url_secret(settings, app.state.sessions)
        app.state.dashboard_csrf_secret = await kept_secret(app.state.sessions, "dashboard_csrf")
        app.state.token_cache = tokens = TokenCache()
        after_commit.on(AuthChanged, lambda _note: tokens.forget_all())
        stream_cap = SharedCap(app.state.sessions, max_per_token=settings.max_streams_per_token)
        app.state.stream_tokens = streams = TokenWatch(
            tokens, app.state.read_sessions, cap=stream_cap
        )
        async with (
            limits.started(settings, engine) as app.state.limits,
            stream_cap.running(),
            streams.running(),
            kept_in_sync(
                tokens, app.state.read_sessions, poll_seconds=settings.token_cache_poll_seconds
            ),
            background.running(app, settings),
            metrics.per_process(engine),
            monitor_recorder.recording(app, settings),
        ):
            yield
        await engine.dispose()

    app = FastAPI(
        title="Aftercart",
        version=__version__,
        description="Post-checkout service wire-compatible with Instacart Connect v2.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters=openapi.SWAGGER_UI_PARAMETERS,
    )
    # Swagger UI (/docs) and ReDoc (/redoc) load their scripts from package data, not a CDN.
    docs_pages.install(app)
    app.state.settings = settings
    envelopes.install(app)
    openapi.install(app)
    if settings.sandbox_enabled:
        app.add_middleware(ClockScope)
        app.add_middleware(FaultMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if monitor_recorder.enabled(settings):
        app.add_middleware(RequestMonitorMiddleware, state=app.state)
    cors.install(app, settings)
    app.add_middleware(RequestLogMiddleware, metrics=settings.metrics)

    app.include_router(health.router)
    if settings.metrics:
        app.include_router(metrics_router)
    app.include_router(auth_router)
    app.include_router(fulfillment_router)
    app.include_router(web_router)
    app.include_router(console_router)
    app.include_router(dashboard_router)
    app.mount(templating.STATIC_PATH, templating.static_files(), name="static")
    app.include_router(linking_router)
    app.include_router(lastmile_router)
    if settings.sandbox_enabled:
        app.include_router(sandbox_router)
        app.include_router(faults_router)
        app.include_router(monitor_router)
        app.include_router(reset_router)
        app.include_router(autopilot_router)
        app.include_router(clock_router)
        app.include_router(linking_sandbox_router)
    app.include_router(post_checkout_router)
    app.include_router(feedback_router)
    app.include_router(marketplace_router)
    app.include_router(transactions_router)
    app.include_router(events_router)
    return app
