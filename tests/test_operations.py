"""Health check, request ids, the body limit and the error envelope for unknown paths."""

import httpx

from aftercart.envelopes import _key_from_loc


async def test_healthz_checks_the_database(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_every_response_has_a_request_id(http: httpx.AsyncClient) -> None:
    generated = await http.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await http.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


async def test_body_over_one_mebibyte_is_refused_before_parsing(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v2/fulfillment/users",
        content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "Request body is too large"


async def test_chunked_body_over_the_limit_is_refused(http: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 65536

    response = await http.post("/v2/fulfillment/users", content=chunks())
    assert response.status_code == 413


async def test_unknown_path_is_404_in_connect_envelope(http: httpx.AsyncClient) -> None:
    response = await http.get("/v2/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Resource not found", "code": 4000}, "meta": {}}


def test_validation_locations_become_dotted_keys() -> None:
    assert _key_from_loc(("body", "items", 0, "line_num")) == "items[0].line_num"
    assert _key_from_loc(("body", "order", "service_option_id")) == "order.service_option_id"
    assert _key_from_loc(("path", "user_id")) == "user_id"
    assert _key_from_loc(("body",)) == "body"
