"""Telegram adapters for the office group and the digest."""
