"""Telegram adapters for the office's campaign work: import upload, adjustments, evidence policy."""
