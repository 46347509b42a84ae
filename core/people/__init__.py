"""Who is who: actors and roles, permissions, invites, the roster, handover and leave.

The use cases (handover, leave, invites, roster) take the narrow readers and writers of
`core.people.interfaces`; `core.people.sql.SqlPeople` implements them over a unit of
work's session. `actors.load_actor` (every update) takes its session directly."""
