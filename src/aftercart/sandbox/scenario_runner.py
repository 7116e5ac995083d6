"""Plays a scenario (:mod:`aftercart.sandbox.scenario_rules`) for one order through the public
sandbox API, as a developer's script would: each step is the request the documentation shows
for it, so a scenario exercises exactly what an integration sees.

The runner stops at the first step that fails and says why; it does not undo the steps before
it (they were real changes, delivered to webhooks like any other).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from aftercart.sandbox import scenario_rules
from aftercart.sandbox.scenario_rules import Scenario, Step

SANDBOX = "/v2/fulfillment_sandbox"
#: The events written for the order after an event id: ``(id, name)``, oldest first.
ReadEvents = Callable[[int], Awaitable[list[tuple[int, str]]]]


class StepFailed(Exception):
    """A step could not be played; the message says what Aftercart answered."""


@dataclass
class OrderUnderPlay:
    """The order a scenario plays, and the batch it is in (found or made by ``advance``)."""

    order_id: str
    user_id: str
    shopper_id: int | None = None
    batch_id: int | None = None
    #: The newest event id an ``expect`` step has looked past.
    seen_event_id: int = 0


@dataclass(frozen=True)
class Played:
    step: Step
    ok: bool
    detail: str
    events: list[str] = field(default_factory=list)


def _ok(response: httpx.Response) -> Any:
    if response.is_error:
        request = response.request
        raise StepFailed(
            f"{request.method} {request.url.path} answered {response.status_code}: {response.text}"
        )
    return response.json() if response.content else None


class ScenarioRunner:
    def __init__(self, http: httpx.AsyncClient, order: OrderUnderPlay, read_events: ReadEvents):
        self.http = http
        self.order = order
        self.read_events = read_events

    async def play(
        self, scenario: Scenario, report: Callable[[Played], None] = lambda _p: None
    ) -> list[Played]:
        """Plays every step in order, reporting each; stops after the first that fails."""
        played: list[Played] = []
        for step in scenario.steps:
            try:
                detail, events = await self._step(step)
                outcome = Played(step, True, detail, events)
            except StepFailed as exc:
                outcome = Played(step, False, str(exc))
            played.append(outcome)
            report(outcome)
            if not outcome.ok:
                break
        return played

    async def _step(self, step: Step) -> tuple[str, list[str]]:
        if step.kind == "expect":
            return await self._expect(step.argument)
        if step.kind == "wait":
            await asyncio.sleep(step.argument)
            return f"waited {step.argument:g} s", []
        handlers: dict[str, Callable[[Any], Awaitable[str]]] = {
            "advance": self._advance,
            "found": self._found,
            "replace": self._replace,
            "refund": self._refund,
            "chat": self._chat,
            "callback": self._callback,
            "trigger": self._trigger,
        }
        return await handlers[step.kind](step.argument), []

    # --- The batch ----------------------------------------------------------------------------

    async def _advance(self, state: str) -> str:
        order = self.order
        if order.batch_id is None:
            shopper = _ok(await self.http.post(f"{SANDBOX}/shoppers", json={"first_name": "Sam"}))
            body = {"shopper_id": shopper["id"], "orders": [{"id": order.order_id}]}
            made = _ok(
                await self.http.post(f"{SANDBOX}/batches", json=body | {"workflow_state": state})
            )
            order.shopper_id, order.batch_id = shopper["id"], made["id"]
            return f"shopper {shopper['id']} took the order in batch {made['id']}, now {state}"
        moved = _ok(
            await self.http.post(
                f"{SANDBOX}/batches/{order.batch_id}/advance", json={"workflow_state": state}
            )
        )
        return f"batch {order.batch_id} is {moved['workflow_state']}"

    # --- The items ----------------------------------------------------------------------------

    def _item_path(self, line: str) -> str:
        if self.order.shopper_id is None:
            raise StepFailed("no shopper has the order yet: `advance: picking` first")
        return (
            f"{SANDBOX}/shoppers/{self.order.shopper_id}/orders/{self.order.order_id}/items/{line}"
        )

    async def _lines(self) -> list[str]:
        path = f"/v2/fulfillment/users/{self.order.user_id}/orders/{self.order.order_id}"
        items = _ok(await self.http.get(path)).get("items", [])
        return [str(item["line_num"]) for item in items]

    async def _put_each(self, bodies: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for line, body in bodies:
            _ok(await self.http.put(self._item_path(line), json=body))

    async def _found(self, selection: Any) -> str:
        if isinstance(selection, dict):
            bodies = [(line, _found_body(amount)) for line, amount in selection.items()]
        else:
            lines = scenario_rules.resolve_lines(selection, await self._lines())
            bodies = [(line, {"status": "found"}) for line in lines]
        await self._put_each(bodies)
        return "found: lines " + ", ".join(line for line, _ in bodies)

    async def _replace(self, codes: dict[str, str]) -> str:
        everything = codes.get(scenario_rules.ALL)
        lines = await self._lines() if everything is not None else []
        by_line = dict.fromkeys(lines, everything) | {
            line: code for line, code in codes.items() if line != scenario_rules.ALL
        }
        bodies = [
            (line, {"status": "replaced", "replacement_item": _product(str(code))})
            for line, code in by_line.items()
        ]
        await self._put_each(bodies)
        return "replaced: " + ", ".join(f"line {line} by {code}" for line, code in by_line.items())

    async def _refund(self, selection: Any) -> str:
        lines = scenario_rules.resolve_lines(selection, await self._lines())
        await self._put_each([(line, {"status": "to_refund"}) for line in lines])
        return "refunded: lines " + ", ".join(lines)

    # --- Messages, callbacks, triggers --------------------------------------------------------

    async def _chat(self, text: str) -> str:
        self._item_path("")  # a shopper must have the order
        path = f"{SANDBOX}/shoppers/{self.order.shopper_id}/orders/{self.order.order_id}/messages"
        _ok(await self.http.post(path, json={"body": text}))
        return f"the shopper said {text!r}"

    async def _callback(self, name: str) -> str:
        path = f"{SANDBOX}/orders/{self.order.order_id}/callbacks"
        _ok(await self.http.post(path, json={"event_name": name}))
        return f"simulated {name}"

    async def _trigger(self, body: dict[str, Any]) -> str:
        path = f"{SANDBOX}/orders/{self.order.order_id}/trigger"
        sent = _ok(await self.http.post(path, json=body))
        return f"sent {sent['event_name']} (event {sent['event_id']})"

    async def _expect(self, names: list[str]) -> tuple[str, list[str]]:
        written = await self.read_events(self.order.seen_event_id)
        written_names = [name for _id, name in written]
        absent = scenario_rules.missing(names, written_names)
        if absent:
            raise StepFailed(
                "not sent: "
                + ", ".join(absent)
                + "; sent since the last expect: "
                + (", ".join(written_names) or "nothing")
            )
        if written:
            self.order.seen_event_id = written[-1][0]
        return "sent: " + ", ".join(names), written_names


def _found_body(amount: int | float) -> dict[str, Any]:
    key = "delivered_count" if isinstance(amount, int) else "delivered_weight"
    return {"status": "found", key: amount}


def _product(code: str) -> dict[str, str]:
    """A code of digits is a UPC; anything else (``PLU-4011``, ``SKU-…``) an RRC."""
    return {"upc": code} if code.isdigit() else {"rrc": code}
