"""The request monitor's pure rules: secret names, masking in every place a secret travels,
trimming after masking, and the shape of an entry."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from aftercart.sandbox import monitor_rules as rules
from aftercart.sandbox.monitor_rules import MASK, Capture


@pytest.mark.parametrize(
    "name",
    [
        "client_secret",
        "access_token",
        "refresh_token",
        "code",
        "assertion",
        "password",
        "Authorization",
        "signing_secret",
        "oauth_client_secret",
        "order_token",
        "linking_token",
        "X-Api-Key",
        "Cookie",
        "code_verifier",
    ],
)
def test_secret_names(name: str) -> None:
    assert rules.is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["client_id", "grant_type", "location_code", "scope", "expires_in", "first_name"]
)
def test_names_that_are_not_secrets(name: str) -> None:
    assert not rules.is_secret_name(name)


def test_json_members_are_masked_at_any_depth_and_numbers_kept() -> None:
    body = {
        "client_id": "abc",
        "client_secret": "s3cret",
        "nested": [{"refresh_token": "r1"}, {"note": "kept"}],
        "credentials": {"password": "hunter2", "user": "ada"},
        "token": {"value": "t1", "extra": ["t2"]},
        "error": {"message": "Invalid", "code": 1001},
        "access_token": "",
    }
    assert rules.mask_json(body) == {
        "client_id": "abc",
        "client_secret": MASK,
        "nested": [{"refresh_token": MASK}, {"note": "kept"}],
        "credentials": {"password": MASK, "user": "ada"},
        "token": {"value": MASK, "extra": [MASK]},
        "error": {"message": "Invalid", "code": 1001},
        "access_token": "",
    }


def test_pairs_keep_everything_but_the_secret_values_as_sent() -> None:
    query = "query=milk+bread&access_token=abc%2Fdef&client%5Fsecret=x&code=&limit=5&flag"
    assert rules.mask_pairs(query) == (
        f"query=milk+bread&access_token={MASK}&client%5Fsecret={MASK}&code=&limit=5&flag"
    )


@pytest.mark.parametrize(
    ("name", "value", "masked"),
    [
        ("authorization", "Bearer abc.def", f"Bearer {MASK}"),
        ("Authorization", "Basic YTpi", f"Basic {MASK}"),
        ("authorization", "abc", MASK),
        ("cookie", "aftercart_dashboard=abc", MASK),
        ("x-api-key", "k", MASK),
        ("content-type", "application/json", "application/json"),
    ],
)
def test_headers(name: str, value: str, masked: str) -> None:
    assert rules.mask_header(name, value) == masked


def test_loose_masking_catches_cut_json_and_pairs_in_text() -> None:
    cut = '{"client_id": "a", "token_type": "bearer", "access_token": "eyJhbGciOi'
    assert rules.mask_loose(cut) == (
        f'{{"client_id": "a", "token_type": "{MASK}", "access_token": "{MASK}'
    )
    escaped = '{"client_secret" : "a\\"b", "name": "x"'
    assert rules.mask_loose(escaped) == f'{{"client_secret" : "{MASK}", "name": "x"'
    text = "grant_type=password password=hunter2 user=ada"
    assert rules.mask_loose(text) == f"grant_type=password password={MASK} user=ada"


def test_a_json_body_is_masked_whatever_its_content_type() -> None:
    raw = json.dumps({"client_secret": "s", "client_id": "c"}).encode()
    body = rules.shape_body(raw, size=len(raw), content_type="application/x-www-form-urlencoded")
    assert body == rules.Body(f'{{"client_secret": "{MASK}", "client_id": "c"}}', False)


def test_a_form_body_is_masked_field_by_field() -> None:
    raw = b"grant_type=client_credentials&client_id=c&client_secret=s"
    body = rules.shape_body(raw, size=len(raw), content_type="application/x-www-form-urlencoded")
    assert body.text == f"grant_type=client_credentials&client_id=c&client_secret={MASK}"


def test_masking_comes_before_trimming() -> None:
    """A secret past the stored length is masked, not cut in half and left readable."""
    filler = "x" * (rules.MAX_BODY_CHARS - 30)
    raw = json.dumps({"note": filler, "client_secret": "s" * 100}).encode()
    body = rules.shape_body(raw, size=len(raw), content_type="application/json")
    assert body.truncated
    assert body.text is not None
    assert len(body.text) == rules.MAX_BODY_CHARS
    assert "sss" not in body.text


def test_a_body_captured_in_part_is_masked_loosely_and_marked_truncated() -> None:
    whole = json.dumps({"access_token": "t" * 50, "items": ["y" * 100]}).encode()
    raw = whole[:40]
    body = rules.shape_body(raw, size=len(whole), content_type="application/json")
    assert body == rules.Body(f'{{"access_token": "{MASK}', True)


def test_a_character_cut_by_the_capture_is_dropped() -> None:
    raw = "caf\u00e9".encode()[:-1]
    assert rules.shape_body(raw, size=10, content_type="text/plain") == rules.Body("caf", True)


@pytest.mark.parametrize(
    ("raw", "content_type", "text"),
    [
        (b"", "application/json", None),
        (b"\xff\xfe\x00", "application/octet-stream", "[binary body, 3 bytes, not recorded]"),
        (
            b"--b\r\nclient_secret\r\n",
            "multipart/form-data; boundary=b",
            "[multipart/form-data body, 20 bytes, not recorded]",
        ),
    ],
)
def test_bodies_that_are_only_described(raw: bytes, content_type: str, text: str | None) -> None:
    assert rules.shape_body(raw, size=len(raw), content_type=content_type).text == text


def test_text_is_made_storable() -> None:
    assert rules.storable("a\x00b") == "a\ufffdb"
    assert "\ud800" not in rules.storable("a\ud800b")
    raw = b'{"note": "a\\u0000b"}'
    assert rules.shape_body(raw, size=len(raw), content_type="").text == '{"note": "a\\u0000b"}'


def test_headers_are_shaped_in_order_masked_and_bounded() -> None:
    headers = [(b"Authorization", b"Bearer abc"), (b"x-long", b"v" * 5000)]
    headers += [(f"x-{n}".encode(), b"1") for n in range(100)]
    shaped = rules.shape_headers(headers)
    assert shaped[0] == ["authorization", f"Bearer {MASK}"]
    assert len(shaped[1][1]) == rules.MAX_HEADER_CHARS
    assert len(shaped) == rules.MAX_HEADERS


def test_the_query_is_masked_and_empty_is_none() -> None:
    assert rules.shape_query(b"") is None
    assert rules.shape_query(b"token=abc&a=1") == f"token={MASK}&a=1"


@pytest.mark.parametrize(
    ("body", "authorization", "client"),
    [
        (b'{"client_id": "json-client", "client_secret": "s"}', "", "json-client"),
        (b"client_id=form-client&client_secret=s", "", "form-client"),
        (b"grant_type=client_credentials", "Basic " + base64.b64encode(b"b%20c:s").decode(), "b c"),
        (b'{"client_id": "body"}', "Basic " + base64.b64encode(b"basic:s").decode(), "body"),
        (b"grant_type=client_credentials", "Basic !!!", None),
        (b"grant_type=client_credentials", "Bearer abc", None),
        (b'{"client_id": 42}', "", None),
        (b'{"client_id": "' + b"x" * 65 + b'"}', "", None),
        (b"[1, 2]", "", None),
    ],
)
def test_the_client_a_token_request_names(
    body: bytes, authorization: str, client: str | None
) -> None:
    assert rules.named_client(body, authorization=authorization) == client


def _capture(**overrides: Any) -> Capture:
    values: dict[str, Any] = {
        "client_id": "c1",
        "verified": True,
        "request_id": "r1",
        "started_at": datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        "method": "POST",
        "path": "/v2/oauth/token",
        "query_string": b"",
        "request_headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "request_body": b"client_id=c1&client_secret=s",
        "request_size": 28,
        "status": 200,
        "duration_ms": 12.3456,
        "response_headers": [(b"content-type", b"application/json")],
        "response_body": b'{"access_token": "t", "expires_in": 86400}',
        "response_size": 42,
        "streamed": False,
    }
    return Capture(**values | overrides)


def test_an_entry_is_the_capture_masked_and_rounded() -> None:
    entry = rules.shape(_capture())
    assert entry.request_body == f"client_id=c1&client_secret={MASK}"
    assert entry.response_body == f'{{"access_token": "{MASK}", "expires_in": 86400}}'
    assert entry.duration_ms == 12.35
    assert entry.response_headers == [["content-type", "application/json"]]
    assert (entry.query, entry.streamed, entry.request_body_truncated) == (None, False, False)


def test_an_event_streams_entry_has_no_answer_body() -> None:
    entry = rules.shape(_capture(streamed=True, response_body=b"event: x\n", response_size=9))
    assert (entry.response_body, entry.streamed) == (None, True)


def test_a_long_path_is_cut_to_what_the_column_holds() -> None:
    entry = rules.shape(_capture(path="/" + "p" * 5000))
    assert len(entry.path) == rules.MAX_PATH_CHARS


def test_urls_keep_all_but_secret_parameters() -> None:
    assert rules.mask_url("https://h.example/in?token=abc&a=1") == (
        f"https://h.example/in?token={MASK}&a=1"
    )
    assert rules.mask_url("https://h.example/in") == "https://h.example/in"
