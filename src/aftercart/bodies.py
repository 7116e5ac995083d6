"""Request input read as what it is, and refused when no database could store it.

Every route (:class:`BodyRoute`, the base of ``TransactionalRoute``) reads a request's body once,
before its endpoint, whatever the method but GET, HEAD and OPTIONS:

* A body that parses as JSON is JSON, whatever its Content-Type says (``curl -d '{...}'`` labels
  it ``application/x-www-form-urlencoded``): the endpoint sees ``application/json``. A body that is
  not JSON keeps its type, so the token endpoints still read real forms.
* A route that declares a JSON body refuses an empty (when required) or unparsable body with 400,
  key ``body``, naming the Content-Type it came with.
* JSON nested deeper than :data:`MAX_DEPTH`, and a string holding NUL (PostgreSQL cannot store
  it) or a lone UTF-16 surrogate (no encoding can) in a JSON body, a form, a path or a query
  parameter: 400 naming the field, on every database.

A problem in the body is raised when the body is read: before the dependencies for a declared
body (FastAPI reads it first), by the endpoint for the routes that read it themselves, so the
marketplace still checks its token before the body.
"""

import json
import re
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

from fastapi import Body, Request, Response, params
from fastapi.routing import APIRoute
from starlette.datastructures import Headers

from aftercart.errors import InvalidParameter

BODYLESS_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Connect's bodies nest 4 levels at most; a limit far below the interpreter's recursion limit
#: keeps every later step (validation, JSON columns, events) clear of it.
MAX_DEPTH: Final = 32
JSON_TYPE: Final = "application/json"

NUL_MESSAGE: Final = "is invalid (contains the NUL character U+0000)"
SURROGATE_MESSAGE: Final = "is invalid (contains a lone UTF-16 surrogate)"
TOO_DEEP_MESSAGE: Final = f"is nested too deeply (at most {MAX_DEPTH} levels)"

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
#: The escapes that may decode to a bad character: raw text cannot hold one (strict UTF-8
#: refuses encoded surrogates, JSON refuses raw control characters).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (a message for an ``InvalidParameter``), or None."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE


class _NotJson(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key(path: list[str | int]) -> str:
    """``["items", 0, "name"]`` → ``items[0].name``, as the validation errors name fields."""
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else part)
    return key or "body"


def _problem_in(value: Any) -> InvalidParameter | None:
    """The first string that cannot be stored or the first container too deep, in document
    order, walked without recursion."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if (message := text_problem(node)) is not None:
                return InvalidParameter(message, key=_key(path))
            continue
        if not isinstance(node, dict | list):
            continue
        if len(path) >= MAX_DEPTH:
            return InvalidParameter(TOO_DEEP_MESSAGE, key="body")
        children: list[tuple[Any, list[str | int]]]
        if isinstance(node, list):
            children = [(item, [*path, index]) for index, item in enumerate(node)]
        else:
            for name in node:
                if (message := text_problem(name)) is not None:
                    return InvalidParameter(f"{message} in a field name", key=_key(path))
            children = [(item, [*path, name]) for name, item in node.items()]
        stack.extend(reversed(children))
    return None


def parse_json(raw: bytes) -> Any:
    """``raw`` as strict JSON: UTF-8, at most :data:`MAX_DEPTH` deep, every string storable.

    Raises :class:`InvalidParameter` for JSON that cannot be accepted, ``_NotJson`` for a body
    that is not JSON at all.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _NotJson("is not valid UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise InvalidParameter(TOO_DEEP_MESSAGE, key="body") from None
    except ValueError:
        raise _NotJson("is not valid JSON") from None
    # Walk only a body that may hold a problem: most have neither the escapes nor the brackets.
    if _SUSPECT_ESCAPE.search(text) or text.count("[") + text.count("{") > MAX_DEPTH:
        if (problem := _problem_in(value)) is not None:
            raise problem
    return value


def _form_problem(raw: bytes, content_type: str) -> InvalidParameter | None:
    """A NUL in a form field (a form's decoding turns anything else bad into U+FFFD)."""
    if content_type.startswith("application/x-www-form-urlencoded") and b"%00" in raw:
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            if "\x00" in value:
                return InvalidParameter(NUL_MESSAGE, key=name if "\x00" not in name else "body")
    elif content_type.startswith("multipart/form-data") and b"\x00" in raw:
        return InvalidParameter(NUL_MESSAGE, key="body")
    return None


_UNPARSED: Final = object()


class ReadRequest(Request):
    """A request whose body was read up front: the endpoint reads it from memory, as JSON when
    it is JSON (``as_json``: its Content-Type then says so), and reading it raises the problem
    found in it, if any."""

    def __init__(
        self,
        request: Request,
        raw: bytes,
        *,
        as_json: bool,
        value: Any = _UNPARSED,
        problem: InvalidParameter | None = None,
    ) -> None:
        super().__init__(request.scope, request.receive)
        self._read_raw = raw
        self._read_as_json = as_json
        self._read_value = value
        self._read_problem = problem
        self._read_headers: Headers | None = None

    @property
    def headers(self) -> Headers:
        if not self._read_as_json:
            return super().headers
        if self._read_headers is None:
            raw = [(k, v) for k, v in self.scope["headers"] if k != b"content-type"]
            self._read_headers = Headers(raw=[*raw, (b"content-type", JSON_TYPE.encode())])
        return self._read_headers

    def _raise_problem(self) -> None:
        if self._read_problem is not None:
            raise self._read_problem

    async def body(self) -> bytes:
        self._raise_problem()
        return self._read_raw

    async def json(self) -> Any:
        self._raise_problem()
        if self._read_value is _UNPARSED:
            return json.loads(self._read_raw)
        return self._read_value

    async def stream(self) -> AsyncGenerator[bytes, None]:
        self._raise_problem()
        yield self._read_raw
        yield b""


async def read_body(request: Request, *, declared: bool, required: bool) -> Request:
    """The request to hand on, its body read (see the module's docstring). ``declared``: the
    route validates a JSON body, ``required``: it needs one."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    sent_as = f"sent as {content_type}" if content_type else "sent without a Content-Type"
    if not raw:
        if declared and required:
            raise InvalidParameter(f"can't be empty ({sent_as})", key="body")
        return request
    try:
        value = parse_json(raw)
    except _NotJson as exc:
        if declared:
            raise InvalidParameter(f"{exc.reason} ({sent_as})", key="body") from None
        problem = _form_problem(raw, content_type)
        if problem is None:
            return request
        return ReadRequest(request, raw, as_json=False, problem=problem)
    except InvalidParameter as problem:
        if declared:
            raise
        return ReadRequest(request, raw, as_json=True, problem=problem)
    return ReadRequest(request, raw, as_json=True, value=value)


def check_parameters(request: Request) -> None:
    """Refuses a path or query parameter holding NUL (the only bad character their decoding
    lets through)."""
    scope = request.scope
    if "\x00" in scope["path"]:
        for name, value in request.path_params.items():
            if isinstance(value, str) and "\x00" in value:
                raise InvalidParameter(NUL_MESSAGE, key=name)
    if b"%00" in scope["query_string"]:
        for name, value in request.query_params.multi_items():
            if "\x00" in value:
                raise InvalidParameter(NUL_MESSAGE, key=name if "\x00" not in name else "query")


class BodyRoute(APIRoute):
    """Checks the parameters and reads the body before the endpoint (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        field = self.body_field
        declared = field is not None and not isinstance(field.field_info, params.Form)
        required = field is not None and declared and field.field_info.is_required()

        async def reading_handler(request: Request) -> Response:
            check_parameters(request)
            if request.scope["method"] not in BODYLESS_METHODS:
                request = await read_body(request, declared=declared, required=required)
            return await handler(request)

        return reading_handler


#: A body an operation ignores (reserve, cancel, reset): none, an empty one or ``{}``.
NoBody = Annotated[
    Any,
    Body(
        description="Ignored: no body, an empty one, or {}.",
        openapi_examples={"empty": {"summary": "An empty object", "value": {}}},
    ),
]
