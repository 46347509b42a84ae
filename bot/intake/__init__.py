"""Durable intake (issue 11): nothing a liaison sends is lost to a crash.

* `receive` — fetches updates (long polling, or the webhook) and commits them to the
  inbox before Telegram is told they arrived;
* `work` — handles the inbox, chat by chat in arrival order, through PTB's Application;
* `runtime.intake.context` — what one update being handled carries (its inbox row), and
  the hook a use case calls to mark it handled in its own transaction;
* `runtime.intake.outbox` — replies written in a use case's transaction, sent after its
  commit (below `handlers/`, which write to it);
* `housekeeping` — pruning the inbox and outbox, sweeping abandoned staged evidence;
* `runtime.intake.faults` — the test-only kill points (DUBAN_TEST_KILL_AT);
* `runtime` — starting and stopping these around one Application, per process role.
"""
