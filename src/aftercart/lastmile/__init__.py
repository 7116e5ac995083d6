"""Last mile: orders the retailer picks and Instacart delivers."""
