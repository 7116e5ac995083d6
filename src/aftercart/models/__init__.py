"""Every table, one module each; import from here so that metadata is complete."""

from aftercart.models.auth_change import AuthChange
from aftercart.models.base import Base
from aftercart.models.chat_message import ChatMessage
from aftercart.models.client import ApiClient
from aftercart.models.event import Event
from aftercart.models.order import Order
from aftercart.models.order_item import OrderItem
from aftercart.models.product import Product
from aftercart.models.rating import Rating
from aftercart.models.service_option import ServiceOption, ServiceOptionHold
from aftercart.models.shopper import Batch, Shopper
from aftercart.models.store import Store
from aftercart.models.token import AccessToken
from aftercart.models.user import User
from aftercart.models.webhook import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessToken",
    "ApiClient",
    "AuthChange",
    "Base",
    "Batch",
    "ChatMessage",
    "Event",
    "Order",
    "OrderItem",
    "Product",
    "Rating",
    "ServiceOption",
    "ServiceOptionHold",
    "Shopper",
    "Store",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
