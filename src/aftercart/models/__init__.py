"""Every table, one module each; import from here so that metadata is complete."""

from aftercart.models.address import UserAddress
from aftercart.models.auth_change import AuthChange
from aftercart.models.authorization_code import AuthorizationCode
from aftercart.models.autopilot import Autopilot, AutopilotRun
from aftercart.models.base import Base
from aftercart.models.chat_message import ChatMessage
from aftercart.models.client import ApiClient
from aftercart.models.event import Event
from aftercart.models.instacart_user import InstacartUser
from aftercart.models.last_mile import LastMileOrder
from aftercart.models.monitored_request import MonitoredRequest
from aftercart.models.order import Order
from aftercart.models.order_item import OrderItem
from aftercart.models.pickup_status import PickupStatus
from aftercart.models.pos_transaction import PosTransaction
from aftercart.models.product import Product
from aftercart.models.rate_limit import RateLimitCounter
from aftercart.models.rating import Rating
from aftercart.models.sandbox_clock import SandboxClock
from aftercart.models.sandbox_fault import SandboxFault
from aftercart.models.server_secret import ServerSecret
from aftercart.models.service_option import ServiceOption, ServiceOptionHold
from aftercart.models.shopper import Batch, Shopper
from aftercart.models.shopper_location import ShopperLocation
from aftercart.models.store import Store
from aftercart.models.stream_lease import StreamLease
from aftercart.models.tenant import Tenant
from aftercart.models.token import AccessToken
from aftercart.models.user import User
from aftercart.models.user_link import UserLink
from aftercart.models.webhook import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessToken",
    "ApiClient",
    "AuthChange",
    "AuthorizationCode",
    "Autopilot",
    "AutopilotRun",
    "Base",
    "Batch",
    "ChatMessage",
    "Event",
    "InstacartUser",
    "LastMileOrder",
    "MonitoredRequest",
    "Order",
    "OrderItem",
    "PickupStatus",
    "PosTransaction",
    "Product",
    "RateLimitCounter",
    "Rating",
    "SandboxClock",
    "SandboxFault",
    "ServerSecret",
    "ServiceOption",
    "ServiceOptionHold",
    "Shopper",
    "ShopperLocation",
    "Store",
    "StreamLease",
    "Tenant",
    "User",
    "UserAddress",
    "UserLink",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
