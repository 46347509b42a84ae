"""The assessment itself: campaigns, their import from documents, and the office's adjustments."""
