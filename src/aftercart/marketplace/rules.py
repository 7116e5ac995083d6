"""Pure rules of the Yandex Eats feedback push (its partner.feedback.post page): formats, error
codes, dedupe key.

Date-times are checked against the exact forms Yandex Eats documents, not parsed leniently:

* ``feedback.createdAt`` and ``orderInfo.createdAt``: RFC 3339 WITH fractional seconds
  (``Y-m-d\\TH:i:s.uP``), 1 to 6 digits, e.g. ``1937-01-01T12:00:27.870000+00:20``;
* ``feedback.deliveredAt`` and ``feedback.takenAt``: ISO 8601 WITHOUT fractional seconds
  (``Y-m-d\\TH:i:s+hh:mm``), e.g. ``1937-01-01T12:00:27+00:20``.

Both need an upper-case ``T`` and a zone: ``±hh:mm`` (hours to 23, minutes to 59) or ``Z``.
"""

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from pydantic_core import ErrorDetails, PydanticCustomError

from aftercart.errors import AftercartError, InvalidParameter

#: Error codes of the marketplace endpoints (``[{"code", "description"}]``). Yandex leaves codes
#: to be agreed with each partner and uses 100 in its examples; ours start there.
MISSING_FIELD: Final = 100
INVALID_VALUE: Final = 101
INVALID_BODY: Final = 102
INVALID_CLIENT: Final = 110
UNSUPPORTED_GRANT_TYPE: Final = 111

EATS_ID = re.compile(r"[0-9]{6}-[0-9]{7,8}")
_DATE_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
_ZONE = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
WITH_FRACTION = re.compile(rf"{_DATE_TIME}\.[0-9]{{1,6}}{_ZONE}")
WITHOUT_FRACTION = re.compile(rf"{_DATE_TIME}{_ZONE}")

FRACTION_EXAMPLE: Final = "1937-01-01T12:00:27.870000+00:20"
NO_FRACTION_EXAMPLE: Final = "1937-01-01T12:00:27+00:20"


def _checked(value: str, pattern: re.Pattern[str], wanted: str) -> str:
    if pattern.fullmatch(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise PydanticCustomError(
        "date_time_format", "must be a date-time like {wanted}", {"wanted": wanted}
    )


def with_fraction(value: str) -> str:
    """RFC 3339 with fractional seconds (``createdAt``)."""
    return _checked(value, WITH_FRACTION, FRACTION_EXAMPLE)


def without_fraction(value: str) -> str:
    """ISO 8601 without fractional seconds (``deliveredAt``, ``takenAt``)."""
    return _checked(value, WITHOUT_FRACTION, NO_FRACTION_EXAMPLE)


def eats_id(value: str) -> str:
    if not EATS_ID.fullmatch(value):
        raise PydanticCustomError(
            "eats_id_format", "must look like 190330-12345678 (6 digits, a dash, 7 or 8 digits)"
        )
    return value


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("orderInfo", "items", 0, "price")`` → ``orderInfo.items[0].price``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


_TYPE_NOUNS: Final = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "an array",
    "model_type": "an object",
    "dict_type": "an object",
}

_BOUNDS: Final = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "greater than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind in _TYPE_NOUNS:
        return f"must be {_TYPE_NOUNS[kind]}"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(name)}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "finite_number":
        return "must be a finite number"
    return str(error["msg"])


def validation_problems(errors: Sequence[ErrorDetails]) -> list[AftercartError]:
    """Every problem Pydantic found, as marketplace errors: 100 a required field is missing,
    101 a value is wrong, 102 the body is not a JSON object."""
    problems: list[AftercartError] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error["type"] == "json_invalid":
            problems.append(AftercartError("The body is not valid JSON", code=INVALID_BODY))
        elif not loc:
            problems.append(AftercartError("The body must be a JSON object", code=INVALID_BODY))
        else:
            code = MISSING_FIELD if error["type"] == "missing" else INVALID_VALUE
            problems.append(InvalidParameter(_message(error), key=field_path(loc), code=code))
    return problems


#: The length of the ratings' ``dedupe_key`` column.
DEDUPE_KEY_MAX = 255


def dedupe_key(feedback_id: str | None, eats_id_value: str) -> str:
    """A resend is recognised by the feedback id, or by the order's ``eatsId`` without one.

    A key too long for its column is replaced by its SHA-256, so that a resend still finds it."""
    key = f"id:{feedback_id}" if feedback_id else f"eats:{eats_id_value}"
    if len(key) <= DEDUPE_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
