"""Telegram adapters for liaison work: /items, /report, quick reports, files, review."""
