"""Wire models of the sandbox's reset (``docs/sandbox.md``, "Reset")."""

from pydantic import BaseModel, ConfigDict, Field


class Removed(BaseModel):
    """How many rows of each kind a reset removed; every kind is always named, 0 included.
    What went with them (order items, chat, addresses, tokens, attempts…) is not counted."""

    users: int = Field(ge=0)
    orders: int = Field(ge=0)
    shoppers: int = Field(ge=0)
    batches: int = Field(ge=0)
    instacart_users: int = Field(ge=0)
    ratings: int = Field(ge=0)
    events: int = Field(ge=0)
    webhook_deliveries: int = Field(ge=0)
    pos_transactions: int = Field(ge=0)
    monitored_requests: int = Field(ge=0)
    autopilots: int = Field(ge=0)


class ResetDone(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "removed": {
                        "users": 2,
                        "orders": 3,
                        "shoppers": 1,
                        "batches": 2,
                        "instacart_users": 1,
                        "ratings": 1,
                        "events": 41,
                        "webhook_deliveries": 12,
                        "pos_transactions": 1,
                        "monitored_requests": 57,
                        "autopilots": 1,
                    }
                }
            ]
        }
    )

    removed: Removed
