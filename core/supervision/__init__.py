"""Supervision (督办, issue 22): milestones, pace, extensions per binding, rectification.
What each does to an item's colour is the status model's (`core.status.model`); these
modules write the facts it reads. The use cases take the narrow stores of
`core.supervision.interfaces`; `core.supervision.sql.SqlSupervision` implements them over
a unit of work's session."""
