"""Log lines as the real handler writes them: one JSON object per line, the request id on every
line written while handling a request, one line per request, tracebacks inside their line."""

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from aftercart.app import create_app
from aftercart.config import Settings
from aftercart.observability import logs

log = logging.getLogger("aftercart.tests")


def _lines(captured: str) -> list[dict[str, Any]]:
    """Every line parsed as JSON (a line that is not fails the test)."""
    return [json.loads(line) for line in captured.splitlines()]


@pytest.fixture
def quiet_client(caplog: pytest.LogCaptureFixture) -> None:
    """The test's HTTP client logs each request it makes: that line is not the server's."""
    caplog.set_level(logging.WARNING, logger="httpx")


@pytest.fixture
def noisy_app(app: FastAPI) -> FastAPI:
    """The app with a route that logs twice, from the handler and from a task, and one that
    fails."""

    async def chatty() -> dict[str, str]:
        log.info("handling it")

        async def side_job() -> None:
            log.warning("from a task started by the request")

        await asyncio.create_task(side_job())
        return {"ok": "yes"}

    async def failing() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/test/chatty", chatty)
    app.add_api_route("/test/failing", failing)
    return app


@pytest.mark.usefixtures("quiet_client")
async def test_every_line_of_a_request_is_json_with_its_id(
    noisy_app: FastAPI, http: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    answered = await http.get("/test/chatty")
    lines = _lines(capfd.readouterr().err)

    assert [line["message"] for line in lines] == [
        "handling it",
        "from a task started by the request",
        "GET /test/chatty 200 " + f"{lines[-1]['duration_ms']:.2f} ms",
    ]
    assert {line["request_id"] for line in lines} == {answered.headers["x-request-id"]}
    access = lines[-1]
    assert access["logger"] == "aftercart.access"
    assert access["route"] == "/test/chatty"
    assert access["status"] == 200
    assert {"time", "level", "pid"} <= access.keys()


@pytest.mark.usefixtures("quiet_client")
async def test_one_line_per_request(
    http: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    ids = [(await http.get("/healthz")).headers["x-request-id"] for _ in range(5)]
    lines = _lines(capfd.readouterr().err)
    assert [line["request_id"] for line in lines] == ids
    assert {line["logger"] for line in lines} == {"aftercart.access"}


@pytest.mark.usefixtures("quiet_client")
async def test_an_unexpected_error_is_one_line_with_its_traceback(
    noisy_app: FastAPI, capfd: pytest.CaptureFixture[str]
) -> None:
    transport = httpx.ASGITransport(app=noisy_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        capfd.readouterr()
        answered = await client.get("/test/failing", headers={"X-Request-Id": "req-failing"})
    assert answered.status_code == 500
    lines = _lines(capfd.readouterr().err)

    assert {line["request_id"] for line in lines} == {"req-failing"}
    [error] = [line for line in lines if "exc_info" in line]
    assert error["level"] == "ERROR"
    assert error["exc_info"].startswith("Traceback (most recent call last):")
    assert error["exc_info"].endswith("RuntimeError: boom")
    [access] = [line for line in lines if line["logger"] == "aftercart.access"]
    assert access["status"] == 500


@contextlib.asynccontextmanager
async def _served(app: FastAPI, log_config: dict[str, Any]) -> AsyncIterator[str]:
    """The started app behind a real uvicorn with the log set-up ``aftercart serve`` gives it
    (uvicorn's access log left on: it must still write nothing)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="info", log_config=log_config)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(5):
            while not server.started:
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@pytest.mark.usefixtures("quiet_client")
async def test_uvicorns_own_lines_are_json_and_a_traceback_is_written_once(
    noisy_app: FastAPI, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    async with (
        _served(noisy_app, logs.uvicorn_config("info", "json")) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        ok = await client.get("/healthz")
        failed = await client.get("/test/failing", headers={"X-Request-Id": "req-failing"})
    assert failed.status_code == 500
    lines = _lines(capfd.readouterr().err)

    uvicorns = [line["message"] for line in lines if line["logger"].startswith("uvicorn")]
    assert any(message.startswith("Started server process") for message in uvicorns)
    assert any(message.startswith("Finished server process") for message in uvicorns)
    # uvicorn gives some lines a coloured copy of the message: not written.
    assert not any("color_message" in line for line in lines)
    access = [line for line in lines if line["logger"] == "aftercart.access"]
    assert [(line["request_id"], line["status"]) for line in access] == [
        (ok.headers["x-request-id"], 200),
        ("req-failing", 500),
    ]
    tracebacks = [line for line in lines if "exc_info" in line]
    assert len(tracebacks) == 1
    assert tracebacks[0]["request_id"] == "req-failing"


def test_a_traceback_the_app_wrote_is_not_written_again_by_the_server(
    app: FastAPI, capfd: pytest.CaptureFixture[str]
) -> None:
    """As when an error escapes the app's middleware: Starlette's outermost one answers through
    the app's handler, which logs it, and re-raises for uvicorn to log ("Exception in ASGI
    application")."""
    capfd.readouterr()
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        log.exception("unexpected error")
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=exc)
        logging.getLogger("uvicorn.error").error("a new one", exc_info=ValueError("other"))
    lines = _lines(capfd.readouterr().err)
    assert [line["message"] for line in lines] == ["unexpected error", "a new one"]
    assert all("exc_info" in line for line in lines)


@pytest.mark.usefixtures("quiet_client")
async def test_text_lines_when_asked(database_url: str, capfd: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database_url=database_url, log_format="text")
    app = create_app(settings, migrate=False)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                capfd.readouterr()
                answered = await client.get("/healthz")
        [line] = [
            line for line in capfd.readouterr().err.splitlines() if "aftercart.access" in line
        ]
        assert f" INFO aftercart.access [{answered.headers['x-request-id']}] GET /healthz 200 " in (
            line
        )
    finally:
        # Back to JSON for the tests that follow in this process.
        logs.configure("INFO", "json")
