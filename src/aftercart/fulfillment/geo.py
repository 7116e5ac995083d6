"""Places: US ZIP centroids and time zones (from the ``zipcodes`` package) and distances."""

import math
import re
from datetime import UTC, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import zipcodes

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.2
US_ZIP = re.compile(r"[0-9]{5}(-[0-9]{4})?", re.ASCII)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bounding_box(
    latitude: float, longitude: float, radius_km: float
) -> tuple[float, float, float, float]:
    """``(min_lat, max_lat, min_lon, max_lon)`` enclosing the circle, to narrow a query cheaply
    before the exact distance is computed. Near the poles the box spans every longitude."""
    d_lat = radius_km / KM_PER_DEGREE_LATITUDE
    cos_lat = math.cos(math.radians(latitude))
    if cos_lat < 0.01:
        return latitude - d_lat, latitude + d_lat, -180.0, 180.0
    d_lon = radius_km / (KM_PER_DEGREE_LATITUDE * cos_lat)
    return latitude - d_lat, latitude + d_lat, longitude - d_lon, longitude + d_lon


def normalize_postal_code(postal_code: str) -> str:
    """Connect's form: digits and upper-case letters, no spaces (``k1a 0b1`` → ``K1A0B1``)."""
    return "".join(postal_code.split()).upper()


@lru_cache(maxsize=4096)
def _zip_record(postal_code: str) -> dict[str, str] | None:
    """The ``zipcodes`` record, asked only of a well-formed US ZIP: its native matcher panics (an
    exception no ``except Exception`` catches) on a code that is not ASCII."""
    if not US_ZIP.fullmatch(postal_code):
        return None
    try:
        matches: list[dict[str, str]] = zipcodes.matching(postal_code)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        return None
    return matches[0] if matches else None


def zip_centroid(postal_code: str) -> tuple[float, float] | None:
    """``(latitude, longitude)`` of a US ZIP code's centroid, or ``None`` when it is unknown."""
    record = _zip_record(postal_code)
    if record is None:
        return None
    return float(record["lat"]), float(record["long"])


def zone_for_postal_code(postal_code: str) -> tzinfo:
    """The time zone of a US ZIP code; UTC when the code or its zone is unknown."""
    record = _zip_record(postal_code)
    try:
        return ZoneInfo(record["timezone"]) if record and record.get("timezone") else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
