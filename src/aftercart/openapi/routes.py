"""What the document reads off a route (its facts, and from them its error statuses), and the
helpers routes use to declare what their facts cannot show."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import RouteContext
from pydantic import BaseModel

from aftercart.auth.deps import TokenRequirement, authenticate
from aftercart.db.session import READ_METHODS, get_session
from aftercart.envelopes import Dialect, dialect_for
from aftercart.openapi.components import DESCRIPTIONS, JSON, connect_security

#: An unknown user is Connect's 400 ``User Not Found`` (key ``user_id``); any other unknown id in
#: a path is 404.
USER_ID: Final = "user_id"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for errors a route answers that its facts do not show; the envelope and
    an example are added with the others."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}


def hand_read_body(model: type[BaseModel], *media_types: str) -> dict[str, Any]:
    """The ``requestBody`` of an operation that reads its body itself: ``model``'s schema,
    inlined (no route validates with it, so it is not among the components), in each media
    type (JSON when none is named)."""
    schema = _inlined(model.model_json_schema(by_alias=True))
    return {
        "required": True,
        "content": {media: {"schema": schema} for media in media_types or [JSON]},
    }


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {key: value for key, value in node.items() if key != "$ref"}
                return resolve({**definitions[ref.removeprefix("#/$defs/")], **rest})
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    result: dict[str, Any] = resolve(schema)
    return result


@dataclass(frozen=True)
class Facts:
    dialect: Dialect
    security: tuple[tuple[str, tuple[str, ...]], ...]
    forbids: bool
    rate_limited: bool
    path_params: tuple[str, ...]
    other_params: tuple[str, ...]
    checked_params: tuple[str, ...]
    has_body: bool
    writes: bool
    uses_database: bool


def error_statuses(facts: Facts) -> set[int]:
    """What a route can answer besides success, by what it reads and checks."""
    statuses: set[int] = set()
    if facts.has_body or facts.checked_params or USER_ID in facts.path_params:
        statuses.add(400)
    if facts.security:
        statuses.add(401)
    if facts.forbids:
        statuses.add(403)
    if facts.rate_limited:
        statuses.add(429)
    if set(facts.path_params) - {USER_ID}:
        statuses.add(404)
    if facts.has_body:
        statuses.add(413)
    if facts.uses_database and facts.writes:
        statuses.add(503)
    return statuses


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _can_fail(in_path: bool, required: bool, annotation: Any, metadata: list[Any]) -> bool:
    """Whether validation can refuse the parameter: any type but a plain string can, and so
    can a missing required one (a path parameter is always there)."""
    plain = annotation in (str, str | None) and not metadata
    return not plain or (required and not in_path)


def facts_of(route: RouteContext, method: str, operation: dict[str, Any]) -> Facts:
    dependants = list(_dependants(route.dependant))
    calls = [d.call for d in dependants]
    requirements = [call for call in calls if isinstance(call, TokenRequirement)]
    declared = [
        (name, tuple(scopes))
        for requirement in operation.get("security", [])
        for name, scopes in requirement.items()
    ]
    security = [
        (name, tuple(scopes))
        for requirement in requirements
        for entry in connect_security(requirement)
        for name, scopes in entry.items()
    ]
    if not security and authenticate in calls:
        security = [("ConnectToken", ())]
    security = security or declared
    path_params: list[str] = []
    other_params: list[str] = []
    checked: list[str] = []
    for field in get_flat_params(route.dependant):
        info = field.field_info
        in_path = isinstance(info, params.Path)
        (path_params if in_path else other_params).append(field.alias)
        if _can_fail(in_path, info.is_required(), info.annotation, info.metadata):
            checked.append(field.alias)
    return Facts(
        dialect=dialect_for(route.path_format or ""),
        security=tuple(dict.fromkeys(security)),
        forbids=bool(requirements),
        # Every bearer token counts against its client's API rate limit.
        rate_limited=authenticate in calls,
        path_params=tuple(dict.fromkeys(path_params)),
        other_params=tuple(dict.fromkeys(other_params)),
        checked_params=tuple(dict.fromkeys(checked)),
        has_body="requestBody" in operation,
        writes=method not in READ_METHODS,
        uses_database=get_session in calls,
    )
