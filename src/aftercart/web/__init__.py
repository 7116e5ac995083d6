"""Aftercart's own pages: Jinja2 templates rendered on the server, its own stylesheet, no build
step. Pages read through the same service functions as the API and add no private way in."""
