"""What the bot's wiring (`bot/`) and its handlers (`handlers/`) both need: the settings and
the long-lived services of one process. Imports nothing of `bot/` or `handlers/`."""
