"""The morning digest: its figures, its messages and its chart."""
