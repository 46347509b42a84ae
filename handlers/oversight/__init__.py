"""Telegram adapters for the office and leader screens and for urging."""
