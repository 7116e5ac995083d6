"""What ``aftercart demo`` orders and how it picks the autopilot's seed: pure values and rules.

The autopilot draws each line's outcome with :func:`aftercart.sandbox.autopilot_rules.pick` from
its seed, the order id and the line. The demo wants a story with a replacement and a refund in
it, so rather than trust a seed found once by hand (which any change to the sample order or the
rule would silently break) it asks the same rule, for the lines it is about to order, which seed
gives such a plan.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from aftercart.fulfillment.rules import SHOPPERS_CHOICE
from aftercart.sandbox.autopilot_rules import Line, Mix, Outcome, plan

USER_ID: Final = "demo-customer"
ORDER_ID: Final = "demo-1"
STORE: Final = "sf-mission"
ADDRESS: Final = {"address_line_1": "500 Howard St", "postal_code": "94105"}
#: Weights that make replacements and refunds common enough for the seed search to be short.
MIX: Final = Mix(found=0.4, partly_found=0.2, replaced=0.2, refunded=0.2)
#: Seeds tried before the search gives up (a plan that fits is found within a few dozen).
SEARCH_LIMIT: Final = 100_000


@dataclass(frozen=True)
class DemoLine:
    """A line of the demo order: a sample product, by count or by weight."""

    line_num: str
    item: dict[str, str]
    count: int | None = None
    weight: Decimal | None = None

    def request(self) -> dict[str, Any]:
        """The line as the order request sends it; the policy is explicit, so that the plan
        does not rest on the server's default."""
        body: dict[str, Any] = {
            "line_num": self.line_num,
            "item": self.item,
            "replacement_policy": SHOPPERS_CHOICE,
        }
        if self.count is not None:
            body["count"] = self.count
        if self.weight is not None:
            body["weight"] = float(self.weight)
        return body

    def planned(self) -> Line:
        return Line(self.line_num, self.count, self.weight, SHOPPERS_CHOICE)


#: Whole milk, 2% milk, bread and bananas by weight, from the sample catalog.
LINES: Final = (
    DemoLine("1", {"upc": "071842000107"}, count=2),
    DemoLine("2", {"upc": "071842000206"}, count=1),
    DemoLine("3", {"upc": "072255000104"}, count=1),
    DemoLine("4", {"rrc": "PLU-4011"}, weight=Decimal("1.5")),
)


def lines_of(order: dict[str, Any]) -> list[Line]:
    """The plan's view of the lines of an Order JSON, as the autopilot will read them."""
    return [
        Line(
            item["line_num"],
            item["count"],
            Decimal(str(item["weight"])) if item["weight"] is not None else None,
            item["replacement_policy"],
        )
        for item in order["items"]
        if not item["added_by_shopper"]
    ]


def tells_the_story(outcomes: Sequence[Outcome]) -> bool:
    """A plan worth showing: something replaced, something refunded, something found."""
    seen = Counter(outcomes)
    found = seen[Outcome.FOUND] + seen[Outcome.PARTLY_FOUND]
    return seen[Outcome.REPLACED] >= 1 and seen[Outcome.REFUNDED] >= 1 and found >= 1


def choose_seed(
    order_id: str,
    lines: Sequence[Line],
    mix: Mix,
    *,
    catalog_size: int,
    limit: int = SEARCH_LIMIT,
) -> int:
    """The smallest seed whose plan for ``lines`` :func:`tells_the_story`.

    ``catalog_size`` is as for :func:`~aftercart.sandbox.autopilot_rules.pick`: the products a
    shopper may name instead of a line's own.
    """
    for seed in range(limit):
        picks = plan(seed, order_id, lines, mix, catalog_size=catalog_size)
        if tells_the_story([p.outcome for p in picks]):
            return seed
    raise ValueError(f"no seed below {limit} gives a replaced, a refunded and a found line")
