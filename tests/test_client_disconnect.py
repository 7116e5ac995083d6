"""A client that goes away while its request body is read (a Ctrl-C, a dropped connection) is
not an error of Aftercart's: nothing is answered, and nothing is logged as an error."""

import json
import logging

import pytest
from fastapi import FastAPI
from starlette.types import Message

from aftercart.auth.service import IssuedCredentials


async def test_a_client_gone_mid_body_is_no_error(
    app: FastAPI,
    client_headers: dict[str, str],
    creds: IssuedCredentials,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = json.dumps({"user_id": "gone", "first_name": "Ann"}).encode()
    incoming: list[Message] = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in client_headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v2/fulfillment/users",
        "raw_path": b"/v2/fulfillment/users",
        "query_string": b"",
        "headers": [*headers, (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "root_path": "",
        "state": {},
    }
    with caplog.at_level(logging.WARNING):
        await app(scope, receive, send)
    assert [m for m in sent if m["type"] == "http.response.start"] == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
