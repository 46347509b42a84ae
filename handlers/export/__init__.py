"""Telegram adapter for /export."""
