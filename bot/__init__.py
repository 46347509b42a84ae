"""Duban's application: configuration, wiring of handlers, command line, scheduling."""
