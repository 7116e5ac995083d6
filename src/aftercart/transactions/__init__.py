"""Point-of-sale transactions sent by the retailer."""
