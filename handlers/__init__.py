"""Thin Telegram adapters: read the update, call a domain function, reply."""
