"""The request monitor's wire models (Aftercart additions to the sandbox)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

_NEXT_CURSOR = "Pass it as cursor for the next page; null on the last page."
_HEADERS = "[name, value] pairs, names in lower case, credentials masked."


class MonitoredRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: str | None = Field(description="The X-Request-Id the answer carried.")
    started_at: datetime
    method: str
    path: str
    query: str | None = Field(description="The query string, secret parameters masked.")
    status: int
    duration_ms: float = Field(
        description="From the request's arrival to the end of its answer (to the start of an "
        "event stream)."
    )
    request_headers: list[list[str]] = Field(description=_HEADERS)
    request_body: str | None = Field(
        description="Secrets masked (JSON written back compactly), at most 16384 characters."
    )
    request_body_truncated: bool
    response_headers: list[list[str]] = Field(description=_HEADERS)
    response_body: str | None = Field(description="As request_body; null for an event stream.")
    response_body_truncated: bool
    streamed: bool = Field(description="An event stream: recorded when it opened.")


class MonitoredRequestList(BaseModel):
    requests: list[MonitoredRequestOut]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class MonitoredAttempt(BaseModel):
    delivery_id: int
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    subscription_id: int
    url: str = Field(description="The receiver, secret query parameters masked.")
    event_name: str
    attempt: int = Field(description="1 for the delivery's first attempt, 2 for its retry...")
    started_at: datetime
    status_code: int | None = Field(description="The receiver's answer; null when none came.")
    duration_ms: int | None
    error: str | None
    response_excerpt: str | None


class MonitoredAttemptList(BaseModel):
    webhook_attempts: list[MonitoredAttempt]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)
