"""Pure rules of point-of-sale transactions: card fields, amounts, the sale time, what makes a
resend the same transaction, and the listing cursor.

The request follows Instacart's "Send point of sale transaction information" page
(https://docs.instacart.com/connect/api/transaction/send_pos_transaction/); what that page does
not say is Aftercart's choice, written down in ``docs/transactions.md``.
"""

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from aftercart.bodies import text_problem

#: The page: ``bin`` is "the first six digits of the payment card. One of 539186, 546683, 555370,
#: or 551917" (the cards Instacart's shoppers pay with).
INSTACART_BINS: Final = ("539186", "546683", "555370", "551917")
LAST_FOUR: Final = re.compile(r"\d{4}")
CURRENCY: Final = re.compile(r"[A-Za-z]{3}")
DEFAULT_CURRENCY: Final = "USD"
#: The longest ``id`` (and other identifier) kept; the column's size.
MAX_ID_LENGTH: Final = 255

#: The page's best practice: send the transaction within 10 minutes of the sale. A later one is
#: accepted and listed with ``sent_late: true``.
SEND_WITHIN: Final = timedelta(minutes=10)
#: A sale time this far after its arrival is refused as in the future (a clock off by more than
#: that, or a local time labelled as UTC).
FUTURE_TOLERANCE: Final = timedelta(minutes=10)

#: Every amount's bound, either sign: far above any grocery order, far inside what JSON numbers and
#: ``Decimal`` hold exactly.
MAX_AMOUNT: Final = Decimal(10_000_000)
MONEY_PLACES: Final = 2
#: A unit price may be finer than a cent (a price per gram or per pound), and a quantity may be
#: a weight (2.1 lb).
FINE_PLACES: Final = 4

FUTURE_MESSAGE: Final = "can't be in the future"
TIMESTAMP_MESSAGE: Final = "must be a time with its zone, such as 2022-03-09T16:37:00Z"

# --- The sale time --------------------------------------------------------------------------------

#: ISO 8601 date and time with a zone; the page's own example writes the offset ``-5:00``, so a
#: one-digit offset hour is read too.
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?)"
)


def parse_timestamp(value: object) -> datetime:
    """The sale time, in UTC. ``ValueError`` (the message for the envelope) unless ``value`` is
    an ISO 8601 time with a zone (``Z`` or an offset)."""
    if not isinstance(value, str):
        raise ValueError(TIMESTAMP_MESSAGE)
    found = _TIMESTAMP.fullmatch(value.strip())
    if found is None:
        raise ValueError(TIMESTAMP_MESSAGE)
    zone = "+00:00"
    if found["sign"]:
        hours, minutes = int(found["hours"]), int(found["minutes"] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(TIMESTAMP_MESSAGE)
        zone = f"{found['sign']}{hours:02d}:{minutes:02d}"
    try:
        moment = datetime.fromisoformat(f"{found['date']}T{found['time']}{zone}")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        # Not a real date or time (2022-02-30, 25:00), or out of range once moved to UTC.
        raise ValueError(TIMESTAMP_MESSAGE) from None


def format_timestamp(moment: datetime) -> str:
    """``2022-09-12T17:34:00Z``: UTC, microseconds only when there are some."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def in_future(transaction_at: datetime, received_at: datetime) -> bool:
    return transaction_at > received_at + FUTURE_TOLERANCE


def sent_late(transaction_at: datetime, received_at: datetime) -> bool:
    """Whether the transaction arrived later than the page's best practice asks."""
    return received_at - transaction_at > SEND_WITHIN


# --- Amounts --------------------------------------------------------------------------------------


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def check_amount(value: Decimal, places: int) -> Decimal:
    """``value`` if it is within :data:`MAX_AMOUNT` and has at most ``places`` decimals."""
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"must be between -{MAX_AMOUNT} and {MAX_AMOUNT}")
    if decimal_places(value) > places:
        raise ValueError(f"can have at most {places} decimal places")
    return value


def as_number(value: Decimal) -> int | float:
    """An amount as a JSON number: an integer when it is whole, else the shortest float that
    reads back as the same decimal (at most 4 places, so exact)."""
    return int(value) if value == value.to_integral_value() else float(value)


# --- Resends --------------------------------------------------------------------------------------


def digest(body: dict[str, Any]) -> str:
    """What makes two sends of one ``id`` the same transaction: the validated body (unknown
    fields dropped, amounts and the time normalised, defaults filled), keys sorted."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- The listing cursor ---------------------------------------------------------------------------


def encode_cursor(received_at: datetime, transaction_id: str) -> str:
    """An opaque position after the row ``(received_at, transaction_id)``, newest first."""
    raw = json.dumps([received_at.isoformat(), transaction_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor names; ``ValueError`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, transaction_id = json.loads(raw)
        position = datetime.fromisoformat(moment), transaction_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("is not a valid cursor") from exc
    moment_at, transaction_id = position
    if (
        moment_at.tzinfo is None
        or not isinstance(transaction_id, str)
        or not 0 < len(transaction_id) <= MAX_ID_LENGTH
        or text_problem(transaction_id) is not None
    ):
        raise ValueError("is not a valid cursor")
    return moment_at, transaction_id
