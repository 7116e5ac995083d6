"""Rate limits (per client, per address, per user) and the counters behind them.

``rules`` holds the arithmetic on plain values; ``memory`` and ``postgres`` keep the counts;
``service`` says which limit applies to what; ``deps`` hangs them on routes.
"""
