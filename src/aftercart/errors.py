"""Domain errors. Services raise these; :mod:`aftercart.envelopes` renders them for the wire.

Each error carries what every envelope needs: the HTTP status, a message, Connect's numeric code
(``None`` where Connect sends ``null``) and the name of the offending field (``key``).
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


class NotFound(AftercartError):
    status_code = 404
    default_message = "Resource not found"
    default_code = 4000


class UserNotFound(AftercartError):
    default_message = "User Not Found"

    def __init__(self) -> None:
        super().__init__(key="user_id")


class UserNotActive(AftercartError):
    status_code = 403
    default_message = "User Not Active"
    default_code = None


class Unauthorized(AftercartError):
    """401: no token, or one that is unknown, expired or revoked."""

    status_code = 401
    default_message = "The access token is invalid"
    default_code = None


class Forbidden(AftercartError):
    """403: a valid token of the wrong kind or scope, or an action on someone else's data."""

    status_code = 403
    default_message = "The access token does not allow this request"
    default_code = None


class Conflict(AftercartError):
    status_code = 409
    default_message = "The request conflicts with the current state"


class PayloadTooLarge(AftercartError):
    status_code = 413
    default_message = "Request body is too large"


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
