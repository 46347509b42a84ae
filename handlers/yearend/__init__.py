"""The year end's commands: /assess, /selfassess, /sitecheck, /feedback, /appeal,
/approve, /finalize (issue 21)."""
