"""The document: FastAPI's, completed operation by operation."""

import json
from collections.abc import Sequence
from typing import Any, Final

from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from aftercart.envelopes import Dialect, oauth_body, render
from aftercart.errors import (
    AftercartError,
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    OAuthError,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UserNotFound,
)
from aftercart.marketplace.rules import INVALID_BODY
from aftercart.marketplace.service import MISSING_REASON
from aftercart.openapi.components import (
    DESCRIPTIONS,
    ENVELOPES,
    HEADERS,
    JSON,
    REF,
    SECURITY_SCHEMES,
    envelope_name,
)
from aftercart.openapi.routes import USER_ID, Facts, error_statuses, facts_of

# --- Examples -------------------------------------------------------------------------------------

_OAUTH_SAMPLES: Final[dict[int, OAuthError]] = {
    400: OAuthError(400, "invalid_request", "grant_type can't be blank"),
    401: OAuthError(401, "invalid_client", "Client authentication failed"),
    403: OAuthError(403, "query_params_forbidden", "Credentials must be sent in the request body"),
}


_SAMPLES: Final[dict[int, AftercartError]] = {
    401: Unauthorized("An access token is required"),
    403: Forbidden(),
    404: NotFound(),
    409: Conflict(),
    413: PayloadTooLarge(),
    429: TooManyRequests("Too many requests for this client; retry in 12 seconds", retry_after=12),
    503: ServiceUnavailable(),
}
_MARKETPLACE_SAMPLES: Final[dict[int, AftercartError]] = {
    400: AftercartError("The body must be a JSON object", code=INVALID_BODY),
    401: Unauthorized(MISSING_REASON),
}


def _sample(facts: Facts, status: int) -> AftercartError:
    """A typical error of the status on this route."""
    if facts.dialect is Dialect.MARKETPLACE and status in _MARKETPLACE_SAMPLES:
        return _MARKETPLACE_SAMPLES[status]
    if status == 400:
        if facts.has_body:
            return InvalidParameter("is not valid JSON", key="body")
        if USER_ID in facts.path_params:
            return UserNotFound()
        return InvalidParameter("is invalid", key=(*facts.checked_params, *facts.other_params)[0])
    if status == 429 and not facts.security:  # limited before any token: a token endpoint
        return TooManyRequests("Too many token requests; retry in 12 seconds", retry_after=12)
    return _SAMPLES.get(status) or AftercartError(DESCRIPTIONS.get(status), status_code=status)


def error_example(facts: Facts, status: int) -> Any:
    """The body :mod:`aftercart.envelopes` sends for a typical error of this status."""
    if facts.dialect is Dialect.OAUTH and status in _OAUTH_SAMPLES:
        return oauth_body(_OAUTH_SAMPLES[status])
    return json.loads(bytes(render(_sample(facts, status), facts.dialect).body))


# --- The document ---------------------------------------------------------------------------------


def complete(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """FastAPI's document with every operation's errors, security and body examples."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in ENVELOPES.items():
        if name in schemas:
            raise RuntimeError(f"the envelope schema {name} clashes with a model of that name")
        schemas[name] = schema
    components["securitySchemes"] = SECURITY_SCHEMES
    # Routes of included routers come wrapped in contexts that carry their full path.
    for route in routing.iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path = document["paths"][route.path_format]
        for method in sorted(route.methods or ()):
            operation = path[method.lower()]
            _complete_operation(operation, facts_of(route, method, operation), schemas)
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"{REF}{name}"' not in json.dumps(document):
            schemas.pop(name, None)
    return document


def _complete_operation(operation: dict[str, Any], facts: Facts, schemas: dict[str, Any]) -> None:
    if facts.security:
        operation["security"] = [{name: list(scopes)} for name, scopes in facts.security]
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    declared = {int(status) for status in responses if status.isdigit() and int(status) >= 400}
    for status in error_statuses(facts) | declared:
        response = responses.setdefault(str(status), {})
        response.setdefault("description", DESCRIPTIONS.get(status, "An error."))
        if status in HEADERS and not (status == 401 and facts.dialect is Dialect.OAUTH):
            response.setdefault("headers", HEADERS[status])
        media = response.setdefault("content", {}).setdefault(JSON, {})
        if "schema" not in media:
            media["schema"] = {"$ref": REF + envelope_name(facts.dialect, status)}
            media.setdefault("example", error_example(facts, status))
    operation["responses"] = dict(sorted(responses.items()))
    for media in operation.get("requestBody", {}).get("content", {}).values():
        if "example" not in media and "examples" not in media:
            example = _schema_example(media.get("schema", {}), schemas)
            if example is not None:
                media["example"] = example


def _schema_example(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The first example of a body's schema, through a ``$ref`` or an ``anyOf`` with null."""
    for option in schema.get("anyOf", [schema]):
        ref = option.get("$ref", "")
        resolved = schemas.get(ref.removeprefix(REF), {}) if ref else option
        if resolved.get("examples"):
            return resolved["examples"][0]
    return None


def install(app: FastAPI) -> None:
    """Makes ``app.openapi()`` (and ``/openapi.json``) answer the completed document."""
    generate = app.openapi
    completed: dict[str, Any] | None = None

    def openapi() -> dict[str, Any]:
        nonlocal completed
        # FastAPI keeps its document until the routes change; complete each new one once.
        document = generate()
        if document is not completed:
            completed = complete(document, app.routes)
        return completed

    app.openapi = openapi  # type: ignore[method-assign]
