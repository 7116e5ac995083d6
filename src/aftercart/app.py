"""The application factory. Engines, sessions and background loops are made in the lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from aftercart import __version__, envelopes, health
from aftercart.auth.cache import TokenCache, kept_in_sync
from aftercart.auth.router import router as auth_router
from aftercart.config import Settings, get_settings
from aftercart.db.aftercommit import AfterCommit, AuthChanged
from aftercart.db.engine import create_engine, read_session_factory, session_factory
from aftercart.db.migrate import upgrade
from aftercart.events import background
from aftercart.events.router import router as events_router
from aftercart.feedback.router import router as feedback_router
from aftercart.fulfillment.router import router as fulfillment_router
from aftercart.marketplace.router import router as marketplace_router
from aftercart.middleware import BodyLimitMiddleware, RequestLogMiddleware
from aftercart.post_checkout.router import router as post_checkout_router
from aftercart.sandbox.router import router as sandbox_router


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        if migrate:
            await upgrade(engine)
        app.state.engine = engine
        app.state.after_commit = after_commit = AfterCommit()
        app.state.sessions = session_factory(engine, after_commit)
        app.state.read_sessions = read_session_factory(engine, after_commit)
        app.state.token_cache = tokens = TokenCache()
        after_commit.on(AuthChanged, lambda _note: tokens.forget_all())
        async with (
            kept_in_sync(
                tokens, app.state.read_sessions, poll_seconds=settings.token_cache_poll_seconds
            ),
            background.running(app, settings),
        ):
            yield
        await engine.dispose()

    app = FastAPI(
        title="Aftercart",
        version=__version__,
        description="Post-checkout service wire-compatible with Instacart Connect v2.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    envelopes.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLogMiddleware)

    app.include_router(health.router)
    app.include_router(auth_router)
    app.include_router(fulfillment_router)
    if settings.sandbox:
        app.include_router(sandbox_router)
    app.include_router(post_checkout_router)
    app.include_router(feedback_router)
    app.include_router(marketplace_router)
    app.include_router(events_router)
    return app
