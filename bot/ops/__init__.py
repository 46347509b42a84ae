"""Operations: health checks and Prometheus metrics on a port of their own (issue 19).

`bot.ops.server` serves /livez, /readyz and /metrics; `bot.ops.metrics` holds the
process's counters (`record_handled`, called by the inbox worker) and renders the shared
state read from the database (`storage.health`).
"""
