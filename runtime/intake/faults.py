"""Kill points for the crash tests: `DUBAN_TEST_KILL_AT=name[:n]` SIGKILLs the process
the n-th time (default: first) it reaches the named point.

Points: `before_inbox_commit`, `after_inbox_commit` (receive), `mid_use_case` (just before
a use case's outcome commit), `after_use_case_commit` (committed, replies not sent yet).
Unset (production), `kill_point` is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_ENV = "DUBAN_TEST_KILL_AT"
_seen: dict[str, int] = {}


def kill_point(name: str) -> None:
    wanted = os.environ.get(_ENV)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
