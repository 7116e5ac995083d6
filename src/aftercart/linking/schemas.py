"""Wire models of account linking. Requests ignore unknown fields (Instacart's sandbox guide
sends ``response_type``, ``client_id``, ``state`` and ``hint`` to authorize)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from aftercart.linking import rules
from aftercart.models import InstacartUser
from aftercart.sandbox.schemas import Request


def _refuse(problem: Callable[[str], str | None]) -> AfterValidator:
    def check(value: str) -> str:
        if (found := problem(value)) is not None:
            raise ValueError(found)
        return value

    return AfterValidator(check)


def _null_as_blank(value: Any) -> Any:
    return "" if value is None else value


def _blank(value: str) -> str | None:
    """``null`` and whitespace are blank too (as Rails' ``blank?``), but a value is kept as
    sent: a password or a redirect URI is never trimmed."""
    return "can't be blank" if not value.strip() else None


NonBlank = Annotated[str, BeforeValidator(_null_as_blank), _refuse(_blank)]


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class InstacartUserCreate(Request):
    model_config = _example(
        {
            "email": "kamal@example.com",
            "phone": "8005550101",
            "password": "correct horse battery staple",
            "instacartplus_member": True,
        }
    )

    email: NonBlank
    phone: NonBlank
    password: NonBlank = Field(description="Kept only as a salted scrypt hash.")
    express_member: bool | None = Field(
        default=None, description="Deprecated name of instacartplus_member: either makes a member."
    )
    instacartplus_member: bool | None = Field(default=None, description="false when absent.")


class Authorize(Request):
    model_config = _example(
        {
            "redirect_uri": "https://example.org/account/profile",
            "scope": "account_linking",
            "code_challenge_method": "S256",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        }
    )

    redirect_uri: Annotated[NonBlank, Field(max_length=2000), _refuse(rules.redirect_uri_problem)]
    scope: Annotated[NonBlank, _refuse(rules.scope_problem)] = Field(
        description="account_linking (openid may come beside it), separated by spaces or commas."
    )
    code_challenge_method: Literal["S256", "plain"] | None = Field(
        default=None, description="plain when a code_challenge comes without one (RFC 7636)."
    )
    code_challenge: str | None = Field(
        default=None, description="S256: base64url of the verifier's SHA-256; plain: the verifier."
    )


class Code(BaseModel):
    code: str = Field(
        description="Single use, valid 10 minutes: exchange it at POST /v2/oauth/token "
        "(grant_type authorization_code) for the linking token."
    )


class LinkRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"linking_token": "l0ebkrG2JAXEuNI9UBpWXO-yC7asltvuyw4RjELk3Hc"}]
        },
    )

    linking_token: NonBlank = Field(
        description="The access_token of POST /v2/oauth/token with grant_type authorization_code."
    )


class LinkStatus(BaseModel):
    express_member: bool = Field(description="Deprecated: always instacartplus_member.")
    instacartplus_member: bool
    expired_at: str | None = Field(
        default=None,
        description="The end of the current Instacart+ term; members only.",
        examples=["2021-06-30T00:00:00Z"],
    )


def link_status(account: InstacartUser, now: datetime) -> LinkStatus:
    member = account.instacartplus_member
    expiry = rules.membership_expiry(account.created_at, now) if member else None
    return LinkStatus(
        express_member=member,
        instacartplus_member=member,
        expired_at=rules.wire_time(expiry) if expiry else None,
    )
