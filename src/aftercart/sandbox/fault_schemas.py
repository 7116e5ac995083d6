"""Wire models of the sandbox's fault rules (``docs/sandbox.md``, "Faults"). The models check
types only; :func:`aftercart.sandbox.fault_rules.build_rule` judges the values."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from aftercart.sandbox.fault_rules import EffectInput
from aftercart.sandbox.schemas import Count, Request


def _no_bool(value: Any) -> Any:
    """JSON ``true`` is not a probability (Pydantic would read it as 1.0)."""
    if isinstance(value, bool):
        raise ValueError("is invalid")
    return value


Probability = Annotated[float, BeforeValidator(_no_bool)]


class EffectSpec(Request):
    type: str = Field(description="api: latency, error, drop; webhook: slow, duplicate, reorder.")
    ms: Count | None = Field(
        default=None, description="A fixed latency or slowness; a reorder's longest hold."
    )
    min_ms: Count | None = Field(default=None, description="A latency drawn from min_ms...")
    max_ms: Count | None = Field(default=None, description="...to max_ms, uniformly.")
    status: Count | None = Field(default=None, description="An error's status: 429, 500, 503.")
    retry_after: Count | None = Field(
        default=None, description="Seconds, for 429 and 503 (Retry-After); 1 when not given."
    )

    def as_input(self) -> EffectInput:
        return EffectInput(**self.model_dump())


class FaultCreate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "method": "POST",
                    "path": "/v2/fulfillment/users/*",
                    "probability": 0.5,
                    "seed": 42,
                    "effect": {"type": "error", "status": 503, "retry_after": 2},
                },
                {"target": "webhook", "event": "fulfillment.*", "effect": {"type": "duplicate"}},
            ]
        }
    )

    target: str = Field(default="api", description="api (requests) or webhook (deliveries).")
    method: str | None = Field(default=None, description="api: a method, or * (the default).")
    path: str | None = Field(
        default=None, description="api: a path glob, * for any characters (/v2/post_checkout/*)."
    )
    event: str | None = Field(
        default=None, description="webhook: an event name glob (fulfillment.*); * by default."
    )
    probability: Probability = Field(default=1.0, description="From 0 to 1.")
    seed: Count | None = Field(
        default=None, description="Replays the same draws; one is chosen when not given."
    )
    effect: EffectSpec


class EffectView(BaseModel):
    type: str
    ms: int | None = None
    min_ms: int | None = None
    max_ms: int | None = None
    status: int | None = None
    retry_after: int | None = None


class FaultView(BaseModel):
    id: int
    target: str
    method: str | None = None
    path: str | None = None
    event: str | None = None
    probability: float
    seed: int
    effect: EffectView
    consulted: int = Field(description="How many requests or deliveries the rule was drawn for.")
    created_at: datetime


class FaultList(BaseModel):
    faults: list[FaultView]


class FaultsDeleted(BaseModel):
    deleted: int
