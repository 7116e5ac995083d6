"""Marketplace credentials, tokens, and the request example of Yandex Eats' "Send the customer's
feedback on the order", https://yandex.com/dev/eda-vendor/doc/en/ref/Feedback/partner.feedback.post.
"""

import copy
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials, create_client
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories

#: That page's request example, as it stands.
EXAMPLE_BODY: dict[str, Any] = {
    "feedback": {
        "id": "string",
        "createdAt": "1937-01-01T12:00:27.870000+00:20",
        "eatsId": "190330-12345678",
        "orderId": "string",
        "predefinedComment": "string",
        "comment": "string",
        "restaurantId": "string",
        "rating": 5,
        "takenAt": "1937-01-01T12:00:27+00:20",
        "deliveredAt": "1937-01-01T12:00:27+00:20",
    },
    "orderInfo": {
        "createdAt": "1937-01-01T12:00:27.870000+00:20",
        "platform": "YE",
        "discriminator": "marketplace",
        "deliveryInfo": {"clientName": "John Cena"},
        "paymentInfo": {"total": 200.99},
        "items": [
            {
                "id": "937c57f6-4508-4858-be7f-20691a16fbb0",
                "name": "Pizza Pepperoni",
                "quantity": 3.5,
                "price": 100,
                "modifications": [
                    {
                        "id": "937c57f6-4508-4858-be7f-20691a16fbb0",
                        "name": "Utensils",
                        "quantity": 3,
                        "price": 100,
                    }
                ],
            }
        ],
        "comment": "Additional order information: ...",
    },
}


def feedback_body(**feedback: Any) -> dict[str, Any]:
    """The example body with some ``feedback`` fields replaced (``None`` removes one)."""
    body = copy.deepcopy(EXAMPLE_BODY)
    for key, value in feedback.items():
        if value is None:
            body["feedback"].pop(key, None)
        else:
            body["feedback"][key] = value
    return body


async def make_marketplace(
    sessions: async_sessionmaker[AsyncSession], marketplace: str = "yandex_eats"
) -> IssuedCredentials:
    async with sessions() as session:
        issued = await create_client(
            session,
            name="Yandex Eats",
            kind="marketplace",
            marketplace=marketplace,
            tenant_id=DEFAULT_TENANT,
        )
        await session.commit()
    return issued


async def marketplace_token(http: httpx.AsyncClient, creds: IssuedCredentials) -> str:
    response = await http.post(
        "/security/oauth/token",
        data={
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "grant_type": "client_credentials",
            "scope": "read write",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def marketplace_headers(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, str]:
    return factories.bearer(await marketplace_token(http, await make_marketplace(sessions)))
