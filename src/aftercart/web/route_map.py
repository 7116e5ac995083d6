"""Pure geometry of the delivery map: the store, the customer and the shopper's trail drawn as
an SVG, with no map tiles (none can be fetched offline, and Aftercart serves every asset).

Coordinates are projected equirectangularly, with longitude scaled by the cosine of the mean
latitude: over the few miles of a delivery that is true to shape, and it needs no library.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from aftercart.fulfillment import geo

LatLng = tuple[float, float]

WIDTH: Final = 320
HEIGHT: Final = 200
PADDING: Final = 24
KM_PER_MILE: Final = 1.609344


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class RouteMap:
    """Where to draw each mark in a ``WIDTH`` by ``HEIGHT`` view box, and the words that say the
    same to someone who cannot see it."""

    store: Point
    customer: Point
    trail: tuple[Point, ...]
    shopper: Point | None
    description: str

    @property
    def trail_points(self) -> str:
        """The trail as an SVG ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.trail)


def route_map(store: LatLng, customer: LatLng, trail: Sequence[LatLng]) -> RouteMap:
    everything = [store, customer, *trail]
    mean_lat = sum(lat for lat, _ in everything) / len(everything)
    scale_x = math.cos(math.radians(mean_lat))
    xs = [lng * scale_x for _, lng in everything]
    ys = [lat for lat, _ in everything]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1e-9
    unit = min(WIDTH - 2 * PADDING, HEIGHT - 2 * PADDING) / span
    # Centre the drawing: the spare room on each axis is split on both sides.
    left = (WIDTH - (max(xs) - min(xs)) * unit) / 2
    top = (HEIGHT - (max(ys) - min(ys)) * unit) / 2

    def project(point: LatLng) -> Point:
        lat, lng = point
        return Point(left + (lng * scale_x - min(xs)) * unit, top + (max(ys) - lat) * unit)

    shopper = trail[-1] if trail else None
    return RouteMap(
        store=project(store),
        customer=project(customer),
        trail=tuple(project(p) for p in trail),
        shopper=project(shopper) if shopper else None,
        description=describe(shopper, customer),
    )


def describe(shopper: LatLng | None, customer: LatLng) -> str:
    if shopper is None:
        return "Your shopper is leaving the store."
    miles = geo.distance_km(*shopper, *customer) / KM_PER_MILE
    if miles < 0.05:
        return "Your shopper has arrived."
    return f"Your shopper is about {miles:.1f} miles away."
