"""Wire models of the token endpoints, for the OpenAPI document.

The router reads these bodies by hand (JSON or form-encoded, credentials never in the query
string), so the models document the fields without validating them.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_CLIENT_ID = "4f0c7a3b1e2d4c5f8a9b0c1d2e3f4a5b"
_CLIENT_SECRET = "s3cr3t-shown-once-by-aftercart-clients-create"


class TokenRequest(BaseModel):
    """``client_id`` and ``client_secret`` may come in an HTTP Basic header instead. The
    order-link grant (an Aftercart addition, used by the order status page) takes no client
    credentials: ``order_id`` and the ``token`` of the order's ``order_url`` as ``order_token``.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": _CLIENT_ID,
                    "client_secret": _CLIENT_SECRET,
                    "grant_type": "client_credentials",
                    "scope": "connect:fulfillment",
                },
                {
                    "client_id": _CLIENT_ID,
                    "client_secret": _CLIENT_SECRET,
                    "grant_type": "fulfillment_user_assertion",
                    "assertion": "eyJ1c2VyX2lkIjogImphbmUtMTIzIn0=",
                },
                {
                    "client_id": _CLIENT_ID,
                    "client_secret": _CLIENT_SECRET,
                    "grant_type": "authorization_code",
                    "code": "zth2LONsv7xVq76ocOcS9ZYwc_eZLdDNX74Z9gSgilk",
                    "redirect_uri": "https://example.org/account/profile",
                },
                {
                    "grant_type": "urn:aftercart:params:oauth:grant-type:order-link",
                    "order_id": "order-1234",
                    "order_token": "q3Vd0cP1Yl9oXbq2mKc7Aw",
                },
            ]
        }
    )

    client_id: str | None = None
    client_secret: str | None = None
    grant_type: Literal[
        "client_credentials",
        "fulfillment_user_assertion",
        "authorization_code",
        "urn:aftercart:params:oauth:grant-type:order-link",
    ]
    scope: str | None = Field(
        default=None,
        description="Scopes separated by spaces or commas; all of the grant's when absent.",
    )
    assertion: str | None = Field(
        default=None,
        description='For fulfillment_user_assertion: base64 of {"user_id": "..."}.',
    )
    code: str | None = Field(
        default=None,
        description="For authorization_code: a code from the sandbox's authorize endpoint "
        "(single use, valid 10 minutes). The token it gives, scope account_linking, is the "
        "linking token.",
    )
    redirect_uri: str | None = Field(
        default=None,
        description="For authorization_code: exactly the redirect_uri the code was issued for.",
    )
    code_verifier: str | None = Field(
        default=None,
        description="For authorization_code (PKCE, RFC 7636): required when the code was issued "
        "with a code_challenge, refused otherwise.",
    )
    order_id: str | None = Field(
        default=None, description="For the order-link grant: the order of the link."
    )
    order_token: str | None = Field(
        default=None,
        description="For the order-link grant: the token parameter of the order's order_url. "
        "The access token it gives opens that order's endpoints only, for an hour.",
    )


class RevokeRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": _CLIENT_ID,
                    "client_secret": _CLIENT_SECRET,
                    "token": "Xq2v0m7k3n9b1c5d8f4g6h2j0k7l3z9x1c5v8b4n6m2",
                }
            ]
        }
    )

    client_id: str
    client_secret: str
    token: str = Field(description="An access token this client issued.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str = Field(description="The granted scopes, separated by spaces.")
    created_at: int = Field(description="Unix time of issue.")
