"""The shapes the OpenAPI document adds to FastAPI's: the error envelopes of the four dialects,
the security schemes, and the words and headers of each error status."""

from typing import Any, Final

from aftercart.auth import scopes as sc
from aftercart.auth.deps import TokenRequirement
from aftercart.envelopes import Dialect

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
REF: Final = "#/components/schemas/"

#: Swagger UI's settings: no online validator (it would send the document away).
SWAGGER_UI_PARAMETERS: Final[dict[str, Any]] = {"validatorUrl": None, "persistAuthorization": True}

# --- Envelopes ------------------------------------------------------------------------------------

_CONNECT_ERROR: Final[dict[str, Any]] = {
    "type": "object",
    "description": "One error (Connect).",
    "required": ["error", "meta"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "code"],
            "properties": {
                "message": {"type": "string"},
                "code": {
                    "type": ["integer", "null"],
                    "description": "Connect's error code (1001 a field, 3003 the order's "
                    "status, 4000 not found; 6 and the status where Connect has none), or "
                    "null where Connect documents null.",
                },
            },
            "additionalProperties": False,
        },
        "meta": {
            "type": "object",
            "properties": {
                "key": {"type": "string", "description": "The field, by its dotted path."}
            },
        },
    },
}

ENVELOPES: Final[dict[str, dict[str, Any]]] = {
    "ConnectError": _CONNECT_ERROR,
    "ConnectErrors": {
        "type": "object",
        "description": "Several errors at once (Connect code 9999).",
        "required": ["error", "meta"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "code", "errors"],
                "properties": {
                    "message": {"type": "string"},
                    "code": {"const": 9999},
                    "errors": {"type": "array", "items": {"$ref": REF + "ConnectError"}},
                },
            },
            "meta": {"type": "object"},
        },
    },
    "ConnectEnvelope": {
        "description": "Connect's error envelope: one error, or several under code 9999.",
        "oneOf": [{"$ref": REF + "ConnectError"}, {"$ref": REF + "ConnectErrors"}],
    },
    "PostCheckoutError": {
        "type": "object",
        "description": "The post-checkout API's Error: the message and the HTTP status.",
        "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    },
    "MarketplaceErrors": {
        "type": "array",
        "description": "Every problem found (Yandex Eats partner API).",
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        },
    },
    "MarketplaceUnauthorized": {
        "type": "object",
        "description": "A missing or expired marketplace token: fetch a new one and retry.",
        "required": ["reason"],
        "properties": {"reason": {"type": "string"}},
    },
    "OAuthError": {
        "type": "object",
        "description": "An OAuth 2.0 error (RFC 6749 §5.2).",
        "required": ["error", "error_description"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
}


def envelope_name(dialect: Dialect, status: int) -> str:
    if dialect is Dialect.POST_CHECKOUT:
        return "PostCheckoutError"
    if dialect is Dialect.MARKETPLACE:
        return "MarketplaceUnauthorized" if status == 401 else "MarketplaceErrors"
    if dialect is Dialect.OAUTH:
        return "OAuthError"
    return "ConnectEnvelope"


# --- Security -------------------------------------------------------------------------------------

SECURITY_SCHEMES: Final[dict[str, dict[str, Any]]] = {
    "ConnectOAuth2": {
        "type": "oauth2",
        "description": "A client token: client credentials at POST /v2/oauth/token (in the "
        "body, or in an HTTP Basic header as Swagger UI sends them).",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/v2/oauth/token",
                "scopes": {
                    sc.FULFILLMENT: "Fulfillment, sandbox and webhooks",
                    sc.RATING: "Order feedback",
                },
            }
        },
    },
    "ConnectToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from POST /v2/oauth/token: a client token, or a user "
        "token (grant_type fulfillment_user_assertion) for the post-checkout and frontend "
        "feedback endpoints.",
    },
    "MarketplaceOAuth2": {
        "type": "oauth2",
        "description": "A marketplace token: client credentials from `aftercart marketplaces "
        "create` at POST /security/oauth/token.",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/security/oauth/token",
                "scopes": {"read": "Read", "write": "Write"},
            }
        },
    },
    "MarketplaceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from POST /security/oauth/token.",
    },
}

MARKETPLACE_SECURITY: Final[list[dict[str, list[str]]]] = [
    {"MarketplaceOAuth2": []},
    {"MarketplaceToken": []},
]


def connect_security(requirement: TokenRequirement) -> list[dict[str, list[str]]]:
    """Swagger UI can fetch a client token itself; a user token is pasted as a bearer token."""
    if requirement.grant_type == sc.CLIENT_CREDENTIALS:
        return [{"ConnectOAuth2": [requirement.scope]}, {"ConnectToken": []}]
    return [{"ConnectToken": []}]


# --- Error statuses -------------------------------------------------------------------------------

DESCRIPTIONS: Final[dict[int, str]] = {
    400: "The request is invalid: malformed JSON, a missing or wrong field, or a rule of the "
    "operation broken.",
    401: "No token, or an unknown, expired or revoked one.",
    403: "A token of the wrong kind or scope, or of an inactive user.",
    404: "An id in the path names nothing this token may see.",
    409: "The request conflicts with the current state.",
    413: "The body is over the size limit (AFTERCART_MAX_BODY_BYTES, 1 MiB by default).",
    429: "Too many requests: retry after the seconds in Retry-After.",
    503: "The database is busy: retry.",
}

HEADERS: Final[dict[int, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}
