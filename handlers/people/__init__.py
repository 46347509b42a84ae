"""Telegram adapters for people: invites, the roster, handover, leave."""
