"""Telegram adapters for the dashboard Mini App: the /dashboard command."""
