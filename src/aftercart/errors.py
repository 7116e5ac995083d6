"""Domain errors. Services raise these; :mod:`aftercart.envelopes` renders them for the wire.

Each error carries what every envelope needs: the HTTP status, a message, Connect's numeric code
and the name of the offending field (``key``). The code is ``None`` only where Connect documents
``null``; codes of our own, for statuses Connect gives none, are 6 followed by the status (6401).
"""

from typing import ClassVar


class _Unset:
    """Marks an argument that was not given (``None`` is a meaningful error code)."""


UNSET = _Unset()


class AftercartError(Exception):
    status_code: ClassVar[int] = 400
    default_message: ClassVar[str] = "There were issues with your request"
    default_code: ClassVar[int | None] = 1001

    def __init__(
        self,
        message: str | None = None,
        *,
        key: str | None = None,
        code: int | _Unset | None = UNSET,
        status_code: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.key = key
        self.code = self.default_code if isinstance(code, _Unset) else code
        self.http_status = status_code or self.status_code
        super().__init__(self.message)


class InvalidParameter(AftercartError):
    """400, code 1001: a field is missing or wrong; ``key`` names it."""


class MultipleErrors(AftercartError):
    """400, code 9999: several problems at once, each an :class:`AftercartError`."""

    default_code = 9999

    def __init__(self, errors: list[AftercartError]) -> None:
        super().__init__()
        self.errors = errors


class IncompatibleOrderStatus(AftercartError):
    default_message = "Incompatible order status"
    default_code = 3003


class ParamsError(AftercartError):
    """400, code 2001 "Params error", as Connect's post-checkout pickup pages document it: the
    reason sits in ``meta`` under the name of what it concerns, e.g.
    ``{"order_delivery_id": "Order delivery is not staged."}``."""

    default_message = "Params error"
    default_code = 2001

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(key=field)
        self.meta = {field: reason}


class NotFound(AftercartError):
    status_code = 404
    default_message = "Resource not found"
    default_code = 4000


class UserNotFound(AftercartError):
    default_message = "User Not Found"

    def __init__(self) -> None:
        super().__init__(key="user_id")


class AddressNotFound(AftercartError):
    """400/1001: the address names no place we know; ``key`` is the field at fault
    (``postal_code``, ``city`` or ``address_line_1``)."""

    default_message = "Address not found"

    def __init__(self, *, key: str) -> None:
        super().__init__(key=key)


class UserNotActive(AftercartError):
    """403 with code ``null``, as Connect documents it."""

    status_code = 403
    default_message = "User Not Active"
    default_code = None


class Unauthorized(AftercartError):
    """401: no token, or one that is unknown, expired or revoked."""

    status_code = 401
    default_message = "The access token is invalid"
    default_code = 6401


class Forbidden(AftercartError):
    """403: a valid token of the wrong kind or scope, or an action on someone else's data."""

    status_code = 403
    default_message = "The access token does not allow this request"
    default_code = 6403


class MethodNotAllowed(AftercartError):
    """405: the path exists, not with this method; answered with ``Allow: allow``."""

    status_code = 405
    default_message = "Method Not Allowed"
    default_code = 6405

    def __init__(self, *, allow: str) -> None:
        super().__init__()
        self.allow = allow


class Conflict(AftercartError):
    status_code = 409
    default_message = "The request conflicts with the current state"


class PayloadTooLarge(AftercartError):
    status_code = 413
    default_message = "Request body is too large"


class CapReached(Conflict):
    """409: the client (or token) already has as many of these as it may (tokens, webhook
    subscriptions, open streams)."""

    default_message = "A limit on how many of these may exist at once was reached"
    default_code = 6409


class TooManyRequests(AftercartError):
    """429: a rate limit was reached; answered with ``Retry-After: retry_after`` (seconds)."""

    status_code = 429
    default_message = "Too many requests, please retry later"
    default_code = 6429

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(AftercartError):
    status_code = 503
    default_message = "Service temporarily unavailable, please retry"
    default_code = 2003


class OAuthError(Exception):
    """A token-endpoint error, answered as ``{"error", "error_description"}`` (OAuth)."""

    def __init__(self, status_code: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.error = error
        self.description = description
