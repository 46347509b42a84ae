"""When scheduled work is due, working days, and exactly-once sends."""
