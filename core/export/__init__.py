"""The year-end export: the workbook and the evidence package."""
