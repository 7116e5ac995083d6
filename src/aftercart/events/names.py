"""Event names, in Connect's callback style."""

BRAND_NEW = "fulfillment.brand_new"
ACKNOWLEDGED = "fulfillment.acknowledged"
PICKING = "fulfillment.picking"
ITEM_REPLACEMENT = "fulfillment.order_item_replacement"
ITEM_REFUND = "fulfillment.order_item_refund"
ITEM_UPDATED = "fulfillment.order_item_updated"
ITEM_ADDED = "fulfillment.order_item_added"
CHECKOUT = "fulfillment.checkout"
STAGED = "fulfillment.staged"
CUSTOMER_ACKNOWLEDGED = "fulfillment.customer_acknowledged"
PICKUP_RUNNER_STARTED = "fulfillment.pickup_runner_started"
UNABLE_TO_FIND_CUSTOMER = "fulfillment.unable_to_find_customer"
#: A delivery's shopper at the door who cannot find the customer (the pickup runner's
#: counterpart is ``UNABLE_TO_FIND_CUSTOMER``).
CUSTOMER_MISSING = "fulfillment.customer_missing"
RUNNER_NOT_FOUND = "fulfillment.runner_not_found"
PICKUP_GEOFENCE_REACHED = "fulfillment.pickup_geofence_reached"
LATE_PICKUP = "fulfillment.late_pickup"
#: Last mile only (Connect's callback catalogue): the shopper who carries a packed order.
ACKNOWLEDGED_FOR_DELIVERY = "fulfillment.acknowledged_for_delivery"
AT_STORE_ETA = "fulfillment.at_store_eta"
AT_STORE = "fulfillment.at_store"
BAGS_VERIFIED = "fulfillment.bags_verified"
ARRIVAL_AT_CUSTOMER = "fulfillment.arrival_at_customer"
DELIVERING = "fulfillment.delivering"
DELIVERED = "fulfillment.delivered"
CANCELED = "fulfillment.canceled"
RESCHEDULED = "fulfillment.rescheduled"
LATE_DELIVERY = "fulfillment.late_delivery"
ORDER_LOCATION = "fulfillment.order_location"
TIP_ADJUSTMENT = "fulfillment.tip_adjustment"
ORDER_UPDATED = "fulfillment.order_updated"
RATING_UPDATED = "fulfillment.rating_updated"
RATING_REMINDER = "fulfillment.rating_reminder"
#: The Post-checkout API's own callback name (its Event callback page), not ``fulfillment.*``.
CHAT_MESSAGE = "chat_message_created"
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
    CUSTOMER_ACKNOWLEDGED,
    PICKUP_RUNNER_STARTED,
    UNABLE_TO_FIND_CUSTOMER,
    CUSTOMER_MISSING,
    RUNNER_NOT_FOUND,
    PICKUP_GEOFENCE_REACHED,
    LATE_PICKUP,
    ACKNOWLEDGED_FOR_DELIVERY,
    AT_STORE_ETA,
    AT_STORE,
    BAGS_VERIFIED,
    ARRIVAL_AT_CUSTOMER,
    DELIVERING,
    DELIVERED,
    CANCELED,
    RESCHEDULED,
    LATE_DELIVERY,
    ORDER_LOCATION,
    TIP_ADJUSTMENT,
    ORDER_UPDATED,
    RATING_UPDATED,
    RATING_REMINDER,
    CHAT_MESSAGE,
    REPLACEMENT_DECISION,
    MARKETPLACE_FEEDBACK,
)
