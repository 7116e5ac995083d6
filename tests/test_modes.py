"""Development and production modes, and cross-origin access (CORS), the stream included."""

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from aftercart import modes
from aftercart.app import create_app
from aftercart.config import Settings
from tests.stream.helpers import Shop, arrange, served

LOCAL_PAGE = "http://localhost:5173"
OTHER_SITE = "https://shop.example.com"


def _settings(database_url: str, **values: object) -> Settings:
    return Settings(database_url=database_url, run_worker=False, **values)  # type: ignore[arg-type]


@pytest.fixture
def production(database_url: str) -> Settings:
    return _settings(database_url, env="production")


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def test_production_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERCART_ENV", raising=False)
    settings = Settings()
    assert settings.env == "production"
    assert not settings.sandbox_enabled
    assert not settings.allow_private_webhooks
    assert modes.cors_origins(settings) == ([], None)


def test_development_turns_the_sandbox_tools_on() -> None:
    settings = Settings(env="development")
    assert settings.sandbox_enabled
    assert settings.allow_private_webhooks
    assert modes.cors_origins(settings) == ([], modes.DEVELOPMENT_ORIGIN_PATTERN)


def test_each_can_be_turned_on_in_production_and_off_in_development() -> None:
    production = Settings(env="production", sandbox=True, webhooks_allow_private=True)
    assert production.sandbox_enabled
    assert production.allow_private_webhooks
    development = Settings(env="development", sandbox=False, webhooks_allow_private=False)
    assert not development.sandbox_enabled
    assert not development.allow_private_webhooks


def test_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCART_CORS_ORIGINS", f"{OTHER_SITE}, https://admin.example.com")
    settings = Settings(env="production")
    assert settings.cors_origins == [OTHER_SITE, "https://admin.example.com"]
    assert modes.cors_origins(settings) == (settings.cors_origins, None)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"cors_origins": ["*"]}, "AFTERCART_CORS_ORIGINS=*"),
        ({"database_url": "sqlite+aiosqlite:///:memory:"}, "in-memory SQLite"),
    ],
)
def test_production_refuses_settings_made_for_a_laptop(
    values: dict[str, object], complaint: str
) -> None:
    settings = Settings(**{"env": "production", **values})  # type: ignore[arg-type]
    with pytest.raises(modes.UnsafeSettings, match=complaint):
        create_app(settings, migrate=False)
    create_app(settings.model_copy(update={"env": "development"}), migrate=False)


async def test_production_hides_the_sandbox_and_says_so(
    production: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aftercart.app")
    async for http in _client(production):
        answer = await http.get("/v2/fulfillment_sandbox/shoppers")
        assert answer.status_code == 404
        preflight = await http.options(
            "/v2/post_checkout/orders/1/items",
            headers={"Origin": LOCAL_PAGE, "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers
    lines = [r.getMessage() for r in caplog.records if r.name == "aftercart.app"]
    assert lines == [
        "Aftercart in production mode: sandbox off, private webhook receivers refused, "
        "cross-origin browser access: none"
    ]


async def test_production_sandbox_on_when_asked(database_url: str) -> None:
    async for http in _client(_settings(database_url, env="production", sandbox=True)):
        answer = await http.post("/v2/fulfillment_sandbox/shoppers", json={})
        assert answer.status_code != 404


async def test_development_answers_a_preflight_from_localhost_only(database_url: str) -> None:
    async for http in _client(_settings(database_url, env="development")):
        asked = {
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        local = await http.options(
            "/v2/post_checkout/orders/1/items/1/replacement",
            headers={"Origin": LOCAL_PAGE, **asked},
        )
        assert local.status_code == 200
        assert local.headers["access-control-allow-origin"] == LOCAL_PAGE
        assert "PUT" in local.headers["access-control-allow-methods"]
        assert "authorization" in local.headers["access-control-allow-headers"].lower()

        remote = await http.options(
            "/v2/post_checkout/orders/1/items", headers={"Origin": OTHER_SITE, **asked}
        )
        assert "access-control-allow-origin" not in remote.headers


async def test_named_origin_can_read_answers_and_their_request_id(database_url: str) -> None:
    settings = _settings(database_url, env="production", cors_origins=[OTHER_SITE])
    async for http in _client(settings):
        answer = await http.get("/v2/post_checkout/orders/1/items", headers={"Origin": OTHER_SITE})
        assert answer.status_code == 401
        assert answer.headers["access-control-allow-origin"] == OTHER_SITE
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert "x-request-id" in exposed
        assert "retry-after" in exposed


@pytest.fixture
def settings(database_url: str) -> Settings:
    return _settings(database_url, env="production", sandbox=True, cors_origins=[OTHER_SITE])


async def test_the_stream_is_open_to_an_allowed_origin(
    app: FastAPI, http: httpx.AsyncClient, sessions: object, creds: object
) -> None:
    shop: Shop = await arrange(app.state.sessions, http, creds)
    headers = {**shop.headers, "Origin": OTHER_SITE}
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        async with client.stream("GET", shop.path, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["access-control-allow-origin"] == OTHER_SITE
            assert response.headers["content-type"].startswith("text/event-stream")
