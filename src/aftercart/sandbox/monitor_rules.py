"""Pure rules of the request monitor: which names hold secrets and how they are masked (headers,
query strings, JSON and form bodies), how much of a body is kept, and the shape of the row one
request becomes. No I/O: the middleware captures raw bytes, these rules turn them into what is
stored.

Masking comes before trimming, always: a body cut first might no longer parse, and a secret in
it would slip through. A body that does not parse, or was captured only in part, is masked by
the looser patterns of :func:`mask_loose`.
"""

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, unquote_plus

MASK: Final = "***"
#: The most of each body the middleware keeps in memory while the request runs.
CAPTURE_BYTES: Final = 65_536
#: The most of each body that is stored, after masking.
MAX_BODY_CHARS: Final = 16_384
MAX_QUERY_CHARS: Final = 4_096
MAX_PATH_CHARS: Final = 2_000
MAX_HEADERS: Final = 64
MAX_HEADER_CHARS: Final = 1_024
MAX_CLIENT_ID_CHARS: Final = 64

#: Names that are secrets whole: OAuth's parameters (RFC 6749) and the credential headers.
SECRET_NAMES: Final = frozenset(
    {
        "assertion",
        "authorization",
        "code",
        "code_verifier",
        "cookie",
        "proxy-authorization",
        "set-cookie",
    }
)
#: Parts that make any name a secret: ``client_secret``, ``access_token``, ``refresh_token``,
#: ``signing_secret``, ``order_token``, ``password``, ``X-Api-Key``...
SECRET_PARTS: Final = ("secret", "token", "password", "passwd", "api_key", "api-key", "apikey")
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})


def is_secret_name(name: str) -> bool:
    folded = name.casefold()
    return folded in SECRET_NAMES or any(part in folded for part in SECRET_PARTS)


# --- Masking --------------------------------------------------------------------------------------


def mask_json(value: Any, *, secret: bool = False) -> Any:
    """``value`` with every string under a secret-named key masked, at any depth. Numbers,
    booleans and null are kept: OAuth's credentials are strings, and Connect's error ``code``
    is a number worth seeing. An empty string stays empty (it hides nothing)."""
    if isinstance(value, dict):
        return {
            key: mask_json(item, secret=secret or is_secret_name(str(key)))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_json(item, secret=secret) for item in value]
    if secret and isinstance(value, str) and value:
        return MASK
    return value


def mask_pairs(text: str) -> str:
    """A query string or form body with the values of secret-named fields masked; everything
    else is kept exactly as sent."""
    parts = []
    for part in text.split("&"):
        name, equals, value = part.partition("=")
        if equals and value and is_secret_name(unquote_plus(name)):
            part = f"{name}={MASK}"
        parts.append(part)
    return "&".join(parts)


def mask_header(name: str, value: str) -> str:
    """A credential header keeps its scheme (``Bearer ***``); any other secret is masked whole."""
    if not is_secret_name(name):
        return value
    scheme, space, credentials = value.strip().partition(" ")
    if name.casefold() in _CREDENTIAL_HEADERS and space and credentials:
        return f"{scheme} {MASK}"
    return MASK


_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"(?:[^"\\]|\\.)*("?)')
_FORM_PAIR = re.compile(r"(?:^|(?<=[\s&?;,]))([\w.%+-]+)=([^&\s]*)")


def mask_loose(text: str) -> str:
    """Masks what looks like a secret-named JSON string member or ``name=value`` pair anywhere in
    ``text``: for bodies that do not parse, or that were captured only in part (the last value
    may have lost its closing quote)."""

    def json_member(found: re.Match[str]) -> str:
        key, colon, closing = found.groups()
        if not is_secret_name(key):
            return found.group()
        return f'"{key}"{colon}"{MASK}{closing}'

    def form_pair(found: re.Match[str]) -> str:
        name, value = found.groups()
        if not value or not is_secret_name(unquote_plus(name)):
            return found.group()
        return f"{name}={MASK}"

    return _FORM_PAIR.sub(form_pair, _JSON_PAIR.sub(json_member, text))


# --- Bodies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    text: str | None
    truncated: bool


def trim(text: str, *, limit: int = MAX_BODY_CHARS, truncated: bool = False) -> Body:
    if len(text) > limit:
        return Body(text[:limit], True)
    return Body(text, truncated)


def storable(text: str) -> str:
    """``text`` as every database stores it: no NUL (PostgreSQL refuses it) and no lone
    surrogate (no encoding takes it); each becomes U+FFFD."""
    cleaned = text.replace("\x00", "\ufffd")
    return cleaned.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _decoded(raw: bytes, *, complete: bool) -> str | None:
    """UTF-8 text, or ``None`` for binary; a character cut by the capture's end is dropped."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(raw) - 3:
            try:
                return raw[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                return None
        return None


def media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().casefold()


def mask_body(text: str, *, content_type: str, complete: bool) -> str:
    """A whole body that parses as JSON is masked member by member and written back as compact
    JSON (whatever its Content-Type says, as Aftercart reads it); a whole form body field by
    field; anything else by :func:`mask_loose`."""
    if complete:
        try:
            return json.dumps(mask_json(json.loads(text)), ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
        if media_type(content_type) == "application/x-www-form-urlencoded":
            return mask_pairs(text)
    return mask_loose(text)


def shape_body(raw: bytes, *, size: int, content_type: str) -> Body:
    """What is stored of a body of ``size`` bytes whose first bytes are ``raw``: masked, then
    trimmed to :data:`MAX_BODY_CHARS`. Multipart and binary bodies are only described."""
    if size == 0:
        return Body(None, False)
    kind = media_type(content_type)
    if kind.startswith("multipart/"):
        return Body(f"[{kind} body, {size} bytes, not recorded]", False)
    complete = len(raw) >= size
    text = _decoded(raw, complete=complete)
    if text is None:
        return Body(f"[binary body, {size} bytes, not recorded]", False)
    masked = mask_body(text, content_type=content_type, complete=complete)
    return trim(storable(masked), truncated=not complete)


# --- Headers and the query ------------------------------------------------------------------------

RawHeaders = Iterable[tuple[bytes, bytes]]


def shape_headers(headers: RawHeaders) -> list[list[str]]:
    """Headers as ``[name, value]`` pairs, secrets masked, at most :data:`MAX_HEADERS`."""
    shaped: list[list[str]] = []
    for raw_name, raw_value in headers:
        if len(shaped) == MAX_HEADERS:
            break
        name = raw_name.decode("latin-1").lower()
        value = mask_header(name, raw_value.decode("latin-1"))
        shaped.append([name, storable(value[:MAX_HEADER_CHARS])])
    return shaped


def header(headers: RawHeaders, name: bytes) -> str:
    """The first value of header ``name`` (lower case), or ``""``."""
    return next((value.decode("latin-1") for key, value in headers if key == name), "")


def shape_query(query_string: bytes) -> str | None:
    if not query_string:
        return None
    return storable(mask_pairs(query_string.decode("latin-1"))[:MAX_QUERY_CHARS])


# --- Who a token request names --------------------------------------------------------------------


def basic_client_id(authorization: str) -> str | None:
    """The ``client_id`` of an HTTP Basic ``Authorization`` value (RFC 6749, section 2.3.1)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.casefold() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, _ = decoded.partition(":")
    return unquote_plus(client_id) if colon else None


def _body_fields(text: str) -> Mapping[str, Any]:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return dict(parse_qsl(text))
    return parsed if isinstance(parsed, dict) else {}


def named_client(body: bytes, *, authorization: str) -> str | None:
    """The client a token request names: its body's ``client_id`` (JSON or form), else the Basic
    credentials' one, as the token endpoint reads them; ``None`` when it names none."""
    named = _body_fields(body.decode("utf-8", "replace")).get("client_id")
    client_id = named if isinstance(named, str) and named else basic_client_id(authorization)
    if not client_id or len(client_id) > MAX_CLIENT_ID_CHARS:
        return None
    return client_id


# --- Entries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capture:
    """One request and its answer as the middleware saw them: raw, unmasked, bodies cut at
    :data:`CAPTURE_BYTES` (``*_size`` is their whole length). ``verified`` is false when the
    client is only named by a token request's body, not proven by a token: it is kept only if
    such a client exists."""

    client_id: str
    verified: bool
    request_id: str | None
    started_at: datetime
    method: str
    path: str
    query_string: bytes
    request_headers: list[tuple[bytes, bytes]]
    request_body: bytes
    request_size: int
    status: int
    duration_ms: float
    response_headers: list[tuple[bytes, bytes]]
    response_body: bytes
    response_size: int
    streamed: bool


@dataclass(frozen=True)
class Entry:
    """A capture as it is stored: the columns of ``monitored_requests``."""

    client_id: str
    request_id: str | None
    started_at: datetime
    method: str
    path: str
    query: str | None
    status: int
    duration_ms: float
    request_headers: list[list[str]]
    request_body: str | None
    request_body_truncated: bool
    response_headers: list[list[str]]
    response_body: str | None
    response_body_truncated: bool
    streamed: bool


def shape(capture: Capture) -> Entry:
    request = shape_body(
        capture.request_body,
        size=capture.request_size,
        content_type=header(capture.request_headers, b"content-type"),
    )
    response = (
        Body(None, False)
        if capture.streamed
        else shape_body(
            capture.response_body,
            size=capture.response_size,
            content_type=header(capture.response_headers, b"content-type"),
        )
    )
    return Entry(
        client_id=capture.client_id,
        request_id=capture.request_id,
        started_at=capture.started_at,
        method=capture.method[:16],
        path=storable(capture.path[:MAX_PATH_CHARS]),
        query=shape_query(capture.query_string),
        status=capture.status,
        duration_ms=round(capture.duration_ms, 2),
        request_headers=shape_headers(capture.request_headers),
        request_body=request.text,
        request_body_truncated=request.truncated,
        response_headers=shape_headers(capture.response_headers),
        response_body=response.text,
        response_body_truncated=response.truncated,
        streamed=capture.streamed,
    )


def mask_url(url: str) -> str:
    """A URL with the values of secret-named query parameters masked (a webhook receiver's
    ``?token=``)."""
    base, question, query = url.partition("?")
    return f"{base}?{mask_pairs(query)}" if question else url
