"""Checking a callback body against the AsyncAPI document (``docs/asyncapi.yaml``), the
contract receivers code against.

The sandbox's triggers use it so that an override can never send what a real transition could
not. The document ships inside the package (``aftercart/events/asyncapi.yaml``; ``docs/`` links
to it), so an installed Aftercart checks as a checkout does.
"""

from functools import cache
from importlib import resources
from typing import Any, Final

import jsonschema
import yaml

#: A jsonschema message quotes the value it judged, which may be the whole metadata.
MAX_MESSAGE: Final = 200


@cache
def _document() -> dict[str, Any]:
    text = resources.files("aftercart.events").joinpath("asyncapi.yaml").read_text()
    document: dict[str, Any] = yaml.safe_load(text)
    return document


@cache
def _validator(event_name: str) -> jsonschema.Draft202012Validator:
    document = _document()
    [message] = [m for m in document["components"]["messages"].values() if m["name"] == event_name]
    return jsonschema.Draft202012Validator({**document, "$ref": message["payload"]["$ref"]})


def payload_problems(body: dict[str, Any]) -> list[tuple[str, str]]:
    """``(dotted path, message)`` for each way ``body`` (a callback envelope) breaks the schema of
    its event; none when it fits."""
    problems = []
    for error in _validator(body["event_name"]).iter_errors(body):
        path = ".".join(str(part) for part in error.absolute_path)
        text = error.message
        problems.append((path, text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"))
    return problems
