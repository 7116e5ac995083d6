"""Address validation as pure rules: spelling, the ZIP code, and how far the stores are.

Nothing here reads the database or the ``zipcodes`` package: the ZIP record is looked up by the
caller and passed in, so every rule is tested on plain values.
"""

import hashlib
import re
from dataclasses import dataclass
from typing import Final

#: ``94105``, ``94105-1804``, ``941051804`` (spaces are removed before matching).
US_ZIP: Final = re.compile(r"([0-9]{5})-?([0-9]{4})?", re.ASCII)
ORDINAL: Final = re.compile(r"[0-9]+(st|nd|rd|th)", re.IGNORECASE)
#: Street directionals and the post-office box, written in capitals by USPS convention.
CAPITALS: Final = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW", "PO"})

#: The average speed of a delivery by car in town, 32 km/h: it turns the 16 km delivery radius
#: of the store search into the 30-minute drive Connect speaks of.
DRIVING_SPEED_KMH: Final = 32.0
LONG_DISTANCE_MINUTES: Final = 30.0

NOT_FOUND: Final = "Address not found"


@dataclass(frozen=True)
class ZipRecord:
    """What the ``zipcodes`` package knows of a US ZIP code."""

    city: str
    acceptable_cities: tuple[str, ...]
    state: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Place:
    """Where a postal code is, and the city and state that go with it."""

    city: str
    state: str
    latitude: float
    longitude: float
    other_cities: tuple[str, ...] = ()


@dataclass(frozen=True)
class NormalAddress:
    address_line_1: str
    address_line_2: str | None
    address_type: str | None
    city: str
    state: str
    postal_code: str
    zip_plus_four: str | None


@dataclass(frozen=True)
class Rejection:
    """Why an address cannot be found, and the field to blame (``meta.key``)."""

    key: str


def split_us_zip(postal_code: str) -> tuple[str, str | None] | None:
    """``"94105-1804"`` → ``("94105", "1804")``; ``None`` for anything but a US ZIP (or ZIP+4)."""
    match = US_ZIP.fullmatch("".join(postal_code.split()))
    return (match[1], match[2]) if match else None


def _word(word: str) -> str:
    """One word of a street line: mixed case is kept as the sender wrote it (``McAllister``);
    otherwise words are capitalised, units with digits upper-cased (``4B``), ordinals lower
    (``21st``), directionals in capitals (``NW``)."""
    if ORDINAL.fullmatch(word):
        return word.lower()
    if any(character.isdigit() for character in word):
        return word.upper()
    if word.upper() in CAPITALS:
        return word.upper()
    if word != word.lower() and word != word.upper():
        return word
    parts = re.split(r"([-'])", word.lower())
    spelled = []
    for index, part in enumerate(parts):
        after_apostrophe = index >= 2 and parts[index - 1] == "'" and len(parts[index - 2]) == 1
        after_hyphen = index >= 2 and parts[index - 1] == "-"
        if index == 0 or after_apostrophe or after_hyphen:
            part = part[:1].upper() + part[1:]
        spelled.append(part)
    return "".join(spelled)


def spell_line(line: str) -> str:
    """A street or unit line, trimmed, with single spaces, no periods and capitalised words:
    ``"  500  howard st. "`` → ``"500 Howard St"``; ``"apt 4b"`` → ``"Apt 4B"``."""
    return " ".join(_word(word) for word in line.replace(".", "").split())


def has_street(line: str) -> bool:
    """A first line names a street, or a box: it has letters, not only digits and signs."""
    return any(character.isalpha() for character in line)


def _city_key(city: str) -> str:
    return " ".join(city.replace(".", "").casefold().split())


def normalise(
    *,
    address_line_1: str,
    address_line_2: str | None,
    address_type: str | None,
    city: str | None,
    postal_code: str,
    zip_plus_four: str | None,
    place: Place,
) -> NormalAddress | Rejection:
    """The address as it is stored and answered, or why it cannot be found.

    ``postal_code`` is already the 5-digit ZIP (or a non-US code known from a store) and
    ``place`` what that code names; a ``city`` that is sent must be one of its cities.
    """
    line_1 = spell_line(address_line_1)
    if not has_street(line_1):
        return Rejection("address_line_1")
    spelled_city = place.city
    if city and city.strip():
        wanted = _city_key(city)
        known = {_city_key(name): name for name in (place.city, *place.other_cities)}
        if wanted not in known:
            return Rejection("city")
        spelled_city = known[wanted]
    line_2 = spell_line(address_line_2) if address_line_2 else ""
    kind = " ".join(address_type.split()).lower() if address_type else ""
    return NormalAddress(
        address_line_1=line_1,
        address_line_2=line_2 or None,
        address_type=kind or None,
        city=spelled_city,
        state=place.state,
        postal_code=postal_code,
        zip_plus_four=zip_plus_four,
    )


def address_key(address: NormalAddress) -> str:
    """What makes two addresses of one user the same: the street lines and the ZIP, ignoring
    case (``McAllister`` and ``Mcallister``), as a fixed-length key."""
    parts = (address.address_line_1, address.address_line_2 or "", address.postal_code)
    return hashlib.sha256("\x1f".join(part.casefold() for part in parts).encode()).hexdigest()


def driving_minutes(distance_km: float) -> float:
    return distance_km / DRIVING_SPEED_KMH * 60


def long_distance(nearest_store_km: float | None) -> bool:
    """Beyond a 30-minute drive from every delivery store (or no delivery store at all)."""
    return nearest_store_km is None or driving_minutes(nearest_store_km) > LONG_DISTANCE_MINUTES
