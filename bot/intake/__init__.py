"""Durable intake (issue 11): nothing a liaison sends is lost to a crash.

* `receive` — fetches updates (long polling, or the webhook) and commits them to the
  inbox before Telegram is told they arrived;
* `work` — handles the inbox through PTB's Application: several chats at once
  (INTAKE_CONCURRENCY), chats taking turns, one update at a time per chat, in order;
* `runtime.intake.unit` — the unit of work of one update: its session, its inbox row's
  "handled" mark, its outbox rows and what waits for its one commit;
* `runtime.intake.locks` — the per-chat locks the worker, conversation timeouts and
  album jobs share; `runtime.intake.background` — work interrupted at shutdown;
* `runtime.intake.outbox` — sending replies written in a use case's transaction, after
  its commit (below `handlers/`, which write to it);
* `housekeeping` — pruning the inbox and outbox, sweeping abandoned staged evidence;
* `runtime.intake.faults` — the test-only kill points (DUBAN_TEST_KILL_AT);
* `runtime` — starting and stopping these around one Application, per process role.
"""
