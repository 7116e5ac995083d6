"""Aftercart: what happens to a grocery order after checkout."""

__version__ = "0.1.0"
