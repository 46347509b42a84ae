"""Liaison work: reports with values and evidence, quick captions, the office's review."""
