"""What the durable intake (issue 11) shares with the handlers: the update being handled,
its outbox of replies, and the test-only kill points. The receiving and working loops
live in `bot/intake/`."""
