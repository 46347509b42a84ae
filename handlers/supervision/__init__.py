"""Supervision commands and the lines every screen adds for them (issue 22)."""
