"""The OpenAPI document: every operation with the answers it really gives, in its path's envelope.

FastAPI documents each route's success answer, and a 422 that is never sent. :func:`install`
starts from FastAPI's document and completes each operation (``document``) from facts read off
its route (``routes``):

* the error dialect, from the path (:func:`aftercart.envelopes.dialect_for`);
* the token it needs: a :class:`~aftercart.auth.deps.TokenRequirement` among its dependencies
  (the marketplace's routes declare :data:`MARKETPLACE_SECURITY` themselves);
* whether it reads a body, has parameters that can fail validation, ids in its path, writes.

Those facts give the error statuses, each documented with its dialect's envelope schema
(``components``) and an example rendered by :mod:`aftercart.envelopes` itself. A route adds what
its facts cannot show with ``responses=errors(...)`` or its own ``{status: {"description"}}``;
the envelope is filled in for those too.
"""

from aftercart.openapi.components import FORM, JSON, MARKETPLACE_SECURITY, SWAGGER_UI_PARAMETERS
from aftercart.openapi.document import install
from aftercart.openapi.routes import errors, hand_read_body

__all__ = [
    "FORM",
    "JSON",
    "MARKETPLACE_SECURITY",
    "SWAGGER_UI_PARAMETERS",
    "errors",
    "hand_read_body",
    "install",
]
