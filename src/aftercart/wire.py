"""Answers written straight to JSON by pydantic.

A route that returns a model has FastAPI validate it again against its ``response_model`` and
then encode it; for a model the route has just built that is the same work twice. Hot reads
return :func:`json_response` instead and declare ``response_model`` for the OpenAPI document.
"""

from fastapi.responses import Response
from pydantic import BaseModel

JSON = "application/json"


def json_response(model: BaseModel, *, exclude_none: bool = False) -> Response:
    body = model.model_dump_json(by_alias=True, exclude_none=exclude_none)
    return Response(body, media_type=JSON)
