"""The retailer dashboard at ``/dashboard``: ratings, webhook deliveries and orders in flight,
server-rendered for a Connect client that logs in with its own credentials."""
