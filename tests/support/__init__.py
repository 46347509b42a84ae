"""Test support: a fake Telegram Bot API server, update factories and helpers."""
