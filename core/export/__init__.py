"""The year-end export: the workbook and the evidence package.

The use cases (`gather.export_source`, the run bookkeeping of `runs`) take the narrow
reader and store of `core.export.interfaces`; `core.export.sql` implements them over a
session (`SqlExport` streams the large sheets, `SqlExportRuns` keeps an /export's run).
`gather.open_export` / `gather_export` take a bare session, for the benchmark and the
database tests."""
