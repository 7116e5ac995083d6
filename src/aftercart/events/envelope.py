"""Connect's callback envelope: an event row as webhook receivers and live streams get it."""

from datetime import UTC, datetime
from typing import Any


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, as Connect's callbacks give ``event_timestamp``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    *, event_id: int, name: str, created_at: datetime, metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_name": name,
        "event_timestamp": timestamp(created_at),
        "event_metadata": metadata,
    }
