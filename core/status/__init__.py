"""One status model that every screen reads (see `core.status.model`)."""
