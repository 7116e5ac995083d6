"""Wire models of the sandbox clock (``docs/sandbox.md``, "Clock")."""

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aftercart.sandbox.schemas import Request


class ClockFreeze(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"frozen_at": "2026-12-24T09:00:00Z"}]}
    )

    frozen_at: AwareDatetime | None = Field(
        default=None,
        description="The time to freeze at, with its zone; the wall clock's time when not given. "
        "A clock already frozen moves forward to it (as an advance would), never back.",
    )


class ClockAdvance(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"duration": "PT25H"}, {"duration": 90}]}
    )

    duration: timedelta = Field(
        description="How far to move the clock: an ISO 8601 duration (PT25H, P3D) or seconds; "
        "more than 0 and at most 366 days.",
    )


class Clock(BaseModel):
    frozen: bool = Field(description="Whether the tenant's sandbox clock is frozen.")
    now: datetime = Field(description="The tenant's time: the frozen time, or the wall clock's.")


class FiredEffect(BaseModel):
    at: datetime = Field(description="The sandbox time it fired at.")
    kind: str = Field(
        description="hold_expired, late_delivery, late_pickup, webhook_retry, chat_expired, "
        "rating_reminder or autopilot_step."
    )
    order_id: str | None = None
    detail: str | None = None


class ClockAdvanced(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "clock": {"frozen": True, "now": "2026-12-25T10:00:00Z"},
                    "advanced_from": "2026-12-24T09:00:00Z",
                    "fired": [
                        {
                            "at": "2026-12-24T11:00:00Z",
                            "kind": "late_delivery",
                            "order_id": "1001",
                            "detail": None,
                        }
                    ],
                    "complete": True,
                }
            ]
        }
    )

    clock: Clock
    advanced_from: datetime
    fired: list[FiredEffect] = Field(description="What the passed time fired, in order.")
    complete: bool = Field(
        description="False when the advance stopped at its limit of effects: the clock is at "
        "the last one fired; advance again to go on."
    )
