"""What the office and leaders watch: overview counts, colours, overdue, urges, reminders."""
