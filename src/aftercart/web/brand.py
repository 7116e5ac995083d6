"""Pure rules of a retailer's branding on the order status page: a colour the page can use
with readable text on it, and a logo it can serve.

The page's CSP forbids inline styles, so the colour reaches the page as a small stylesheet of
its own (:func:`stylesheet`), served by Aftercart like every other asset.
"""

import hashlib
from dataclasses import dataclass
from typing import Final

import filetype
from coloraide import Color

#: What a logo may be: raster images a browser shows in an ``<img>``. SVG is left out, since a
#: retailer's SVG is a document that would need sanitising.
LOGO_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
MAX_LOGO_BYTES: Final = 256 * 1024
MAX_NAME_LENGTH: Final = 100
#: The text colours a brand colour is paired with; the one that reads better is chosen. Pure
#: white and black: for any colour one of the two reaches 4.58:1 at least.
LIGHT_INK: Final = "#ffffff"
DARK_INK: Final = "#000000"
#: WCAG 2.1 AA for normal text.
MIN_CONTRAST: Final = 4.5


class BrandError(ValueError):
    pass


def parse_colour(text: str) -> str:
    """Any CSS colour (``#0b6b3a``, ``#fa0``, ``rebeccapurple``, ``rgb(…)``) as ``#rrggbb``;
    a translucent colour is refused, since what is under it is not the retailer's to choose."""
    try:
        colour = Color(text.strip())
    except ValueError as exc:
        raise BrandError(f"{text!r} is not a CSS colour") from exc
    if colour.alpha() < 1:
        raise BrandError(f"{text!r} is translucent; give an opaque colour")
    return colour.convert("srgb").fit().to_string(hex=True, compress=False)


def contrast(colour: str, ink: str) -> float:
    return float(Color(colour).contrast(ink, method="wcag21"))


def ink_on(colour: str) -> str:
    """The text colour for ``colour``: whichever of white and black contrasts more, which always
    reaches 4.5:1 (AA)."""
    return max((LIGHT_INK, DARK_INK), key=lambda ink: contrast(colour, ink))


def logo_type(content: bytes) -> str:
    """The logo's media type, read from its bytes; refused when it is not one of
    :data:`LOGO_TYPES` or is larger than :data:`MAX_LOGO_BYTES`."""
    if len(content) > MAX_LOGO_BYTES:
        raise BrandError(f"The logo is {len(content)} bytes; the most is {MAX_LOGO_BYTES}")
    kind = filetype.guess_mime(content)
    if kind not in LOGO_TYPES:
        raise BrandError("The logo must be a PNG, JPEG, WebP or GIF image")
    return str(kind)


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise BrandError(f"The name must be 1 to {MAX_NAME_LENGTH} characters")
    return name


def stylesheet(colour: str) -> str:
    """The page's brand variables; the accent text colour darkens or lightens the brand colour
    until it reads on white (the cards' background)."""
    accent = readable_on_white(colour)
    return f":root {{ --brand: {colour}; --brand-ink: {ink_on(colour)}; --accent: {accent}; }}\n"


def readable_on_white(colour: str) -> str:
    """``colour``, darkened in steps of OKLCH lightness until it reaches 4.5:1 on white."""
    shade = Color(colour).convert("oklch")
    while contrast(shade.convert("srgb").to_string(hex=True), LIGHT_INK) < MIN_CONTRAST:
        shade["lightness"] = max(0.0, shade["lightness"] - 0.02)
    return shade.convert("srgb").fit().to_string(hex=True, compress=False)


def version(*parts: bytes | str | None) -> str:
    """A short digest of the brand, for its asset URLs: a change gets a new URL."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part or b"")
        digest.update(b"\x00")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Brand:
    """What the page shows of the retailer: the name, and where its stylesheet and logo are."""

    name: str | None
    stylesheet_url: str | None
    logo_url: str | None
