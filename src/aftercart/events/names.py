"""Event names, in Connect's callback style (reference §6)."""

BRAND_NEW = "fulfillment.brand_new"
ACKNOWLEDGED = "fulfillment.acknowledged"
PICKING = "fulfillment.picking"
ITEM_REPLACEMENT = "fulfillment.order_item_replacement"
ITEM_REFUND = "fulfillment.order_item_refund"
ITEM_UPDATED = "fulfillment.order_item_updated"
ITEM_ADDED = "fulfillment.order_item_added"
CHECKOUT = "fulfillment.checkout"
STAGED = "fulfillment.staged"
DELIVERING = "fulfillment.delivering"
DELIVERED = "fulfillment.delivered"
CANCELED = "fulfillment.canceled"
RESCHEDULED = "fulfillment.rescheduled"
LATE_DELIVERY = "fulfillment.late_delivery"
ORDER_UPDATED = "fulfillment.order_updated"
RATING_UPDATED = "fulfillment.rating_updated"
CHAT_MESSAGE = "fulfillment.chat_message"
REPLACEMENT_DECISION = "fulfillment.order_item_replacement_decision"
MARKETPLACE_FEEDBACK = "marketplace.feedback_received"
#: Sent on request to one webhook subscription; not subscribable, so not in ``ALL``.
WEBHOOK_TEST = "webhook.test"

ALL = (
    BRAND_NEW,
    ACKNOWLEDGED,
    PICKING,
    ITEM_REPLACEMENT,
    ITEM_REFUND,
    ITEM_UPDATED,
    ITEM_ADDED,
    CHECKOUT,
    STAGED,
    DELIVERING,
    DELIVERED,
    CANCELED,
    RESCHEDULED,
    LATE_DELIVERY,
    ORDER_UPDATED,
    RATING_UPDATED,
    CHAT_MESSAGE,
    REPLACEMENT_DECISION,
    MARKETPLACE_FEEDBACK,
)
