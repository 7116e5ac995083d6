"""Row ids read from a path or a query string, kept inside their column's range.

A number that the id column cannot hold makes the driver fail, and the request would end in a 500
(from 2**63 on SQLite, from 2**31 on PostgreSQL's ``INTEGER``). No row has such an id, so these
types read it, and any id below 1, as :data:`NO_ROW`: the lookup then answers exactly as it does
for every other unknown id, in the path's own envelope and after the same checks.
"""

from typing import Annotated

from pydantic import AfterValidator

#: The largest ``Integer`` key (``INTEGER`` on PostgreSQL): orders, subscriptions, shoppers, …
INTEGER_MAX = 2**31 - 1
#: The largest :data:`~aftercart.db.types.BigIntKey` (``BIGINT`` on PostgreSQL, and every SQLite
#: integer): events, webhook deliveries, ratings, …
BIGINT_MAX = 2**63 - 1
#: Ids start at 1, so this one names no row.
NO_ROW = 0


def row_id(value: int) -> int:
    """``value`` as the id of a row whose key is ``Integer``."""
    return value if 0 < value <= INTEGER_MAX else NO_ROW


def big_row_id(value: int) -> int:
    """``value`` as the id of a row whose key is a ``BigIntKey``."""
    return value if 0 < value <= BIGINT_MAX else NO_ROW


def _before(value: int | None) -> int | None:
    """An exclusive upper bound on ids: beyond every id it bounds nothing; at or below the first
    it leaves nothing."""
    if value is None or value > BIGINT_MAX:
        return None
    return max(value, NO_ROW)


#: The id of a row whose key is ``Integer``.
RowId = Annotated[int, AfterValidator(row_id)]
#: The id of a row whose key is a ``BigIntKey``.
BigRowId = Annotated[int, AfterValidator(big_row_id)]
#: "Only ids smaller than this", over ``BigIntKey`` ids (a page cursor).
BigIdBefore = Annotated[int | None, AfterValidator(_before)]
