"""Account linking: a Connect user linked to an Instacart account."""
