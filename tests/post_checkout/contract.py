"""The OpenAPI document "Instacart Connect Post-Checkout API" as a response validator.

``post-checkout-openapi.yml`` here is that document (version 2.0, as published in the
``api-evangelist/instacart`` repository on GitHub; its documentation is
https://docs.instacart.com/connect/post-checkout/), unchanged. Every answer is checked against the
schema of its path, method and status, with two strictures the document implies without writing
them down: an object may carry only the properties the document names (its schemas list every
field, so an extra one is a deviation), and a status the document does not list for the operation
is a violation, except 403 (a token of the wrong grant or scope), which Aftercart adds and answers
in the same ``Error`` shape.
"""

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("post-checkout-openapi.yml")
SPEC_URI = "urn:aftercart:post-checkout-openapi"
PREFIX = "/v2/post_checkout"

#: Statuses answered beyond the document, and the component schema they follow.
EXTENSIONS = {403: "Error"}


class ContractViolation(AssertionError):
    pass


def _closed(node: Any) -> Any:
    """Adds ``additionalProperties: false`` to every object schema that lists properties."""
    if isinstance(node, dict):
        closed = {key: _closed(value) for key, value in node.items()}
        if "properties" in closed and closed.get("type") == "object":
            closed.setdefault("additionalProperties", False)
        return closed
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class Contract:
    spec: dict[str, Any]
    registry: Registry
    routes: list[tuple[re.Pattern[str], str]]
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> "Contract":
        spec = yaml.safe_load(path.read_text())
        resource = Resource.from_contents(_closed(copy.deepcopy(spec)), DRAFT202012)
        routes = [
            (re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", template) + "$"), template)
            for template in spec["paths"]
        ]
        return cls(spec, Registry().with_resource(SPEC_URI, resource), routes)

    def operations(self) -> list[tuple[str, str, int]]:
        """``(path template, method, status)`` for every documented response."""
        return [
            (template, method, int(status))
            for template, operations in self.spec["paths"].items()
            for method, operation in operations.items()
            for status in operation["responses"]
        ]

    def template(self, path: str) -> str:
        for pattern, template in self.routes:
            if pattern.match(path):
                return template
        raise ContractViolation(f"{path} is not a path of the OpenAPI document")

    def validate(self, method: str, path: str, status: int, body: Any) -> None:
        template = self.template(path)
        operation = self.spec["paths"][template].get(method.lower())
        if operation is None:
            raise ContractViolation(
                f"{method} {template} is not an operation of the OpenAPI document"
            )
        if str(status) in operation["responses"]:
            pointer = _pointer(
                "paths", template, method.lower(), "responses", str(status), "content"
            )
            ref = f"{SPEC_URI}#{pointer}/application~1json/schema"
        elif status in EXTENSIONS:
            ref = f"{SPEC_URI}#/components/schemas/{EXTENSIONS[status]}"
        else:
            raise ContractViolation(
                f"{method} {template} answered {status}, not in the OpenAPI document"
            )
        validator = Draft202012Validator(
            {"$ref": ref},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        try:
            validator.validate(body)
        except ValidationError as error:
            raise ContractViolation(
                f"{method} {path} {status}: {error.message} at {list(error.absolute_path)}"
            ) from error
        self.checked.append((template, method.lower(), status))

    async def check_response(self, response: httpx.Response) -> None:
        """An httpx response hook: validates every answer under /v2/post_checkout."""
        request = response.request
        if not request.url.path.startswith(PREFIX):
            return
        await response.aread()
        if not response.headers.get("content-type", "").startswith("application/json"):
            raise ContractViolation(f"{request.url.path} answered {response.headers}")
        self.validate(request.method, request.url.path, response.status_code, response.json())
