"""The limits as route dependencies, for the routes that have one of their own (the token
endpoints, chat)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from aftercart.auth.deps import FulfillmentClient, PostCheckoutUser
from aftercart.auth.service import TokenContext
from aftercart.limits.service import Limits


def limits_of(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def client_address(request: Request) -> str | None:
    """The peer's address as the server reports it (behind a proxy, the client's only when
    the server trusts the proxy's forwarded headers)."""
    return request.client.host if request.client else None


@dataclass(frozen=True)
class TokenAttempt:
    """A request to a token endpoint that the token limits let through."""

    limits: Limits
    client_id: str | None
    address: str | None

    async def failed(self) -> None:
        """Its client authentication failed (an unknown client_id or a wrong secret)."""
        await self.limits.token_failed(client_id=self.client_id, address=self.address)


async def token_attempt(request: Request, client_id: str | None) -> TokenAttempt:
    """Checks a request to a token endpoint (Connect's or the marketplace's, which share the
    counts) against the token limits before its credentials are checked."""
    attempt = TokenAttempt(limits_of(request), client_id, client_address(request))
    await attempt.limits.token_request(client_id=client_id, address=attempt.address)
    return attempt


async def _chatting_user(request: Request, user: PostCheckoutUser) -> TokenContext:
    await limits_of(request).chat_message(f"user:{user.user_id}")
    return user


async def _chatting_shopper(request: Request, shopper_id: int, _client: FulfillmentClient) -> None:
    await limits_of(request).chat_message(f"shopper:{shopper_id}")


#: The post-checkout user, once their chat message is within the chat limit.
ChattingUser = Annotated[TokenContext, Depends(_chatting_user)]
#: The sandbox shopper's chat message, within the chat limit (per shopper).
ChattingShopper = Annotated[None, Depends(_chatting_shopper)]
