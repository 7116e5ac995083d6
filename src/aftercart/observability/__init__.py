"""Metrics (Prometheus, ``GET /metrics``) and structured logs (one JSON object per line)."""
