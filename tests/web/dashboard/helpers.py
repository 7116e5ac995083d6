"""Logging in to the dashboard as a browser would, and reading its pages' forms and figures."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from aftercart.auth.service import IssuedCredentials

LOGIN = "/dashboard/login"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in the page's first form."""
    found = _CSRF.search(html)
    assert found is not None, html
    return found.group(1)


async def log_in(http: httpx.AsyncClient, creds: IssuedCredentials) -> str:
    """Logs in through the form; returns the CSRF token of the session's forms."""
    form = await http.get(LOGIN)
    assert form.status_code == 200, form.text
    answer = await http.post(
        LOGIN,
        data={
            "csrf": csrf_of(form.text),
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/dashboard/ratings"
    page = await http.get("/dashboard/ratings")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


@asynccontextmanager
async def browser_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser: its own cookie jar."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
