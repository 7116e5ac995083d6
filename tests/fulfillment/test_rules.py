from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercart.fulfillment import geo, rules


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("john", "John"),
        ("mary-jane o'neil", "Mary-Jane O'neil"),
        ("McDonald", "McDonald"),
        ("élodie", "Élodie"),
    ],
)
def test_capitalize_name(given: str, expected: str) -> None:
    assert rules.capitalize_name(given) == expected


@pytest.mark.parametrize("name", ["a/b", "a:b", "a<b", "a>b", "a$b", "a%b", "a?b"])
def test_forbidden_name_characters(name: str) -> None:
    assert rules.has_forbidden_characters(name)


def test_plain_names_are_allowed() -> None:
    assert not rules.has_forbidden_characters("Anne-Marie O'Brien Jr.")


def test_locales() -> None:
    assert rules.normalize_locale("en_us") == "en-US"
    assert rules.normalize_locale("FR-ca") == "fr-CA"
    assert rules.posix_locale("en-US") == "en_US"
    assert rules.posix_locale(None) is None
    assert rules.locale_from_accept_language("fr-CA,fr;q=0.8,en;q=0.5") == "fr-CA"
    assert rules.locale_from_accept_language("*") is None
    assert rules.locale_from_accept_language(None) is None


def test_counted_units_ignore_weighed_lines() -> None:
    assert rules.counted_units([2, None, 3]) == 5


def test_default_replacement_policy() -> None:
    assert rules.default_replacement_policy(True) == "users_choice"
    assert rules.default_replacement_policy(False) == "shoppers_choice"


def test_shopper_outcome_shows_only_from_picking_on() -> None:
    assert not rules.picking_started("brand_new")
    assert not rules.picking_started("acknowledged")
    assert not rules.picking_started("canceled")
    assert rules.picking_started("picking")
    assert rules.picking_started("completed")


def test_delivery_windows_are_local_two_hour_windows() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 6, 1, 6, 0, tzinfo=zone).astimezone(UTC)  # 06:00 local
    windows = rules.slot_windows(now=now, days=1, zone=zone, service_type="delivery")
    local = [(start.astimezone(zone).hour, end.astimezone(zone).hour) for start, end in windows]
    # Today's six windows; tomorrow's first one starts after the one-day horizon (06:00).
    assert local == [(8, 10), (10, 12), (12, 14), (14, 16), (16, 18), (18, 20)]
    assert all(start.tzinfo is UTC for start, _ in windows)


def test_windows_respect_lead_time_and_horizon() -> None:
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 6, 1, 11, 30, tzinfo=zone).astimezone(UTC)
    windows = rules.slot_windows(now=now, days=2, zone=zone, service_type="pickup")
    starts = [start for start, _ in windows]
    assert min(starts) >= now + rules.SLOT_LEAD_TIME
    assert max(starts) <= now + timedelta(days=2)
    assert starts[0].astimezone(zone).hour == 13  # 12:00 is within the hour of lead time
    assert all(end - start == timedelta(hours=1) for start, end in windows)
    assert len(windows) == 7 + 11 + 3  # 13..19 today, 9..19 tomorrow, 9..11 the day after


def test_slot_open_and_capacity() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert rules.slot_open(now + timedelta(hours=2), now)
    assert not rules.slot_open(now + timedelta(minutes=30), now)
    assert rules.remaining_capacity(capacity=5, orders=2, holds=1) == 2
    assert rules.remaining_capacity(capacity=1, orders=2, holds=0) == 0


def test_distance_and_box() -> None:
    # San Francisco to Los Angeles is about 559 km as the crow flies.
    assert geo.distance_km(37.7749, -122.4194, 34.0522, -118.2437) == pytest.approx(559, abs=3)
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(37.0, -122.0, 16)
    assert min_lat < 37.0 < max_lat
    assert min_lon < -122.0 < max_lon
    assert geo.bounding_box(89.999, 0, 10)[2:] == (-180.0, 180.0)


def test_zip_lookups() -> None:
    latitude, longitude = geo.zip_centroid("94105") or (0.0, 0.0)
    assert latitude == pytest.approx(37.79, abs=0.1)
    assert longitude == pytest.approx(-122.39, abs=0.1)
    assert geo.zip_centroid("K1A0B1") is None
    assert geo.zip_centroid("00000") is None
    assert geo.zip_centroid('\u00dc!"\u00a8|') is None  # the native matcher panics on non-ASCII
    assert geo.zip_centroid("\uff19\uff14\uff11\uff10\uff15") is None  # full-width digits
    assert geo.zone_for_postal_code("10001") == ZoneInfo("America/New_York")
    assert geo.zone_for_postal_code("nope") is UTC
    assert geo.normalize_postal_code(" k1a 0b1 ") == "K1A0B1"
