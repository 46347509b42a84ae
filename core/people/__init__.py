"""Who is who: actors and roles, permissions, invites, the roster, handover and leave."""
