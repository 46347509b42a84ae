"""Duban's domain logic: importing documents, status, permissions, digests.

Nothing here imports `telegram`; it is called with plain values and tested without it.
"""
