"""Pure rules behind the status page's additions: the brand colour, the map, the link's
lifetime, an added line's number and the rating form's highlights."""

from datetime import UTC, datetime, timedelta

import pytest

from aftercart.fulfillment import status_tokens
from aftercart.web import brand, route_map, rules

STORE = (37.7793, -122.4193)
CUSTOMER = (37.7880, -122.4074)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#0B6B3A", "#0b6b3a"),
        ("#fa0", "#ffaa00"),
        ("rebeccapurple", "#663399"),
        (" teal ", "#008080"),
    ],
)
def test_colours_are_read_as_css_and_kept_as_hex(text: str, expected: str) -> None:
    assert brand.parse_colour(text) == expected


@pytest.mark.parametrize(
    "colour", ["#ffffff", "#ffff00", "#777777", "#0b6b3a", "#000000", "#ff0000"]
)
def test_the_text_on_a_brand_colour_and_its_accent_reach_aa(colour: str) -> None:
    assert brand.contrast(colour, brand.ink_on(colour)) >= brand.MIN_CONTRAST
    assert brand.contrast(brand.readable_on_white(colour), "#ffffff") >= brand.MIN_CONTRAST


def test_a_dark_enough_colour_is_its_own_accent() -> None:
    assert brand.readable_on_white("#0b6b3a") == "#0b6b3a"


@pytest.mark.parametrize(
    "content", [b"", b"not an image", b"<svg xmlns='http://www.w3.org/2000/svg'/>"]
)
def test_a_logo_must_be_a_raster_image(content: bytes) -> None:
    with pytest.raises(brand.BrandError):
        brand.logo_type(content)


def test_a_logo_has_a_size_limit() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * brand.MAX_LOGO_BYTES
    with pytest.raises(brand.BrandError, match="the most is"):
        brand.logo_type(png)


def test_the_map_keeps_everything_inside_its_box_and_north_up() -> None:
    trail = [STORE, (37.7830, -122.4140), (37.7860, -122.4100)]
    drawn = route_map.route_map(STORE, CUSTOMER, trail)
    points = [drawn.store, drawn.customer, *drawn.trail]
    assert all(0 <= p.x <= route_map.WIDTH and 0 <= p.y <= route_map.HEIGHT for p in points)
    assert drawn.customer.y < drawn.store.y  # further north is higher up
    assert drawn.customer.x > drawn.store.x  # further east is to the right
    assert drawn.shopper == drawn.trail[-1]
    assert drawn.description == "Your shopper is about 0.2 miles away."
    assert len(drawn.trail_points.split()) == 3


def test_the_map_before_the_trip_and_at_the_door() -> None:
    assert route_map.route_map(STORE, CUSTOMER, []).shopper is None
    assert route_map.describe(None, CUSTOMER) == "Your shopper is leaving the store."
    assert route_map.describe(CUSTOMER, CUSTOMER) == "Your shopper has arrived."
    same_place = route_map.route_map(STORE, STORE, [STORE])
    assert same_place.store == same_place.customer


def test_a_link_works_until_seven_days_after_the_order_ends() -> None:
    ended = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert not status_tokens.expired(None, ended + timedelta(days=365))
    assert not status_tokens.expired(ended, ended + timedelta(days=7) - timedelta(seconds=1))
    assert status_tokens.expired(ended, ended + timedelta(days=7))


@pytest.mark.parametrize(
    ("taken", "fresh"),
    [([], "1"), (["1", "2", "5"], "6"), (["A1", "B2"], "1"), (["1", "2", "3x"], "3")],
)
def test_an_added_line_gets_a_number_no_line_ever_had(taken: list[str], fresh: str) -> None:
    assert rules.fresh_line_num(taken) == fresh


def test_the_rating_form_offers_the_highlights_the_api_takes() -> None:
    delivery = {value for value, _ in rules.highlights_for("delivery")}
    pickup = {value for value, _ in rules.highlights_for("pickup")}
    assert "SMOOTH_DELIVERY" in delivery - pickup
    assert {"FAST_PICKUP", "EASY_PARKING"} <= pickup - delivery
    assert "QUALITY_ITEMS" in delivery & pickup
