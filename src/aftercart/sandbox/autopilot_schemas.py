"""Wire models of the sandbox's autopilot shoppers (``docs/autopilot_draft.md``). The models check
types only; :mod:`aftercart.sandbox.autopilot_rules` judges the values."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from aftercart.sandbox.autopilot_rules import DEFAULT_DECISION_TIMEOUT, DEFAULT_STEP_SECONDS
from aftercart.sandbox.schemas import Count, Request


def _no_bool(value: Any) -> Any:
    """JSON ``true`` is not a weight (Pydantic would read it as 1.0)."""
    if isinstance(value, bool):
        raise ValueError("is invalid")
    return value


Weight = Annotated[float, BeforeValidator(_no_bool)]


class MixIn(Request):
    """Relative weights of each line's outcome; an absent one is 0."""

    found: Weight = 0.0
    partly_found: Weight = 0.0
    replaced: Weight = 0.0
    refunded: Weight = 0.0


class AutopilotCreate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seed": 42,
                    "mix": {"found": 0.6, "partly_found": 0.1, "replaced": 0.2, "refunded": 0.1},
                    "decision_timeout_seconds": 120,
                    "step_seconds": 10,
                }
            ]
        }
    )

    shopper_id: Count | None = Field(
        default=None,
        description="A sandbox shopper of the caller's tenant; one is created when absent.",
    )
    seed: Count | None = Field(
        default=None, description="Replays the same outcomes; one is drawn (and shown) when absent."
    )
    mix: MixIn | None = Field(
        default=None,
        description="Weights of found, partly_found, replaced and refunded (at least 0, not all "
        "0; an absent one is 0). Without a mix: 0.7, 0.1, 0.1, 0.1.",
    )
    decision_timeout_seconds: Count = Field(
        default=DEFAULT_DECISION_TIMEOUT,
        description="How long the shopper waits for the customer's replacement decisions, in "
        "clock seconds (0 to 86,400).",
    )
    step_seconds: Count = Field(
        default=DEFAULT_STEP_SECONDS,
        description="Clock seconds between two steps (1 to 86,400).",
    )


class MixView(BaseModel):
    found: float
    partly_found: float
    replaced: float
    refunded: float


class AutopilotOrder(BaseModel):
    """An order the autopilot took, and where its play is."""

    id: str = Field(description="The retailer's order id.")
    batch_id: int
    workflow_state: str = Field(description="The order's state now.")
    phase: str = Field(
        description="The batch's state after the last step; completed when delivered, ended "
        "when the order was canceled or its batch left the autopilot's hands."
    )
    lines_picked: int
    steps_played: int
    next_step_at: datetime | None = Field(
        description="When the next step falls due; null once over, or stopped."
    )
    waiting_since: datetime | None = Field(
        description="When the wait for the customer's replacement decisions began."
    )
    created_at: datetime
    finished_at: datetime | None


class AutopilotView(BaseModel):
    id: int
    shopper_id: int
    seed: int
    mix: MixView
    decision_timeout_seconds: int
    step_seconds: int
    active: bool = Field(description="False once stopped.")
    next_take_at: datetime | None = Field(
        description="From when it takes its next order; null while it plays one, and once stopped."
    )
    created_at: datetime
    stopped_at: datetime | None


class AutopilotDetail(AutopilotView):
    orders: list[AutopilotOrder] = Field(description="The orders it took, oldest first.")


class AutopilotList(BaseModel):
    autopilots: list[AutopilotView] = Field(description="The caller's tenant's, newest first.")
