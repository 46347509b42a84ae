"""The dashboard's read side: figures for the Mini App (queries) and evidence previews.

The read models of `queries` take the narrow reader of `core.dashboard.interfaces`;
`core.dashboard.sql.SqlDashboard` implements it over the web request's session."""
