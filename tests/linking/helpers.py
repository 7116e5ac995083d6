"""Account linking's happy path in a few calls: a sandbox Instacart user, a code, a linking
token, a link."""

from dataclasses import dataclass
from typing import Any

import httpx

from aftercart.auth.service import IssuedCredentials

SANDBOX = "/v2/fulfillment_sandbox/instacart_users"
TOKEN = "/v2/oauth/token"
REDIRECT = "https://example.org/account/profile"
#: RFC 7636, appendix B: a verifier and its S256 challenge.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
Headers = dict[str, str]


def link_url(user_id: str) -> str:
    return f"/v2/fulfillment/users/{user_id}/link"


def error_of(response: httpx.Response) -> tuple[int, str, str | None]:
    """(status, message, meta.key) of a single Connect error; its code must be 1001."""
    body = response.json()
    assert body["error"]["code"] == 1001, body
    return response.status_code, body["error"]["message"], body["meta"].get("key")


async def create_account(
    http: httpx.AsyncClient, headers: Headers, email: str = "kamal@example.com", **body: Any
) -> int:
    """A sandbox Instacart user; its id."""
    fields = {"email": email, "phone": "8005550101", "password": "hunter2 hunter2", **body}
    response = await http.post(SANDBOX, json=fields, headers=headers)
    assert response.status_code == 200, response.text
    account_id: int = response.json()["id"]
    return account_id


async def authorize(
    http: httpx.AsyncClient, headers: Headers, account_id: int | str, **body: Any
) -> str:
    fields = {"redirect_uri": REDIRECT, "scope": "account_linking", **body}
    response = await http.post(f"{SANDBOX}/{account_id}/authorize", json=fields, headers=headers)
    assert response.status_code == 200, response.text
    code: str = response.json()["code"]
    return code


def token_body(
    creds: IssuedCredentials, grant_type: str = "authorization_code", **fields: str
) -> dict[str, str]:
    """A body for ``POST /v2/oauth/token``: the client's id and secret, a grant type, fields."""
    return {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "grant_type": grant_type,
        **fields,
    }


async def exchange(
    http: httpx.AsyncClient, creds: IssuedCredentials, code: str, **extra: str
) -> httpx.Response:
    """``POST /v2/oauth/token`` with ``grant_type=authorization_code``."""
    body = token_body(creds, **{"code": code, "redirect_uri": REDIRECT, **extra})
    return await http.post(TOKEN, json=body)


@dataclass(frozen=True)
class Linking:
    account_id: int
    token: str


async def linking_token(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    headers: Headers,
    email: str = "kamal@example.com",
    **account: Any,
) -> Linking:
    """A new Instacart user, authorized and exchanged: its id and a linking token."""
    account_id = await create_account(http, headers, email, **account)
    response = await exchange(http, creds, await authorize(http, headers, account_id))
    assert response.status_code == 200, response.text
    return Linking(account_id, response.json()["access_token"])


async def link(
    http: httpx.AsyncClient, headers: Headers, user_id: str, token: str
) -> httpx.Response:
    return await http.post(link_url(user_id), json={"linking_token": token}, headers=headers)
