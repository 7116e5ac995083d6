"""Aftercart inside a retailer's own test suite: the ``aftercart`` pytest fixture.

Installing Aftercart registers :mod:`aftercart.testing.plugin` with pytest (entry point
``pytest11``). Nothing is imported here, so that loading the plugin costs nothing at collection.
"""
