"""Long work a use case starts after its commit (an export): tracked, never waited for.

PTB's `Application.create_task` tasks are awaited by `Application.stop`, so a SIGTERM
would wait for a ten-minute export. Work started here is cancelled at shutdown instead
(after the chats in progress had their grace period, bot/intake/runtime.py): what it
was doing is recorded in the database (an export's run row), and the next start
reports it to whoever asked (`report_interrupted_exports`), who can start it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
BACKGROUND_KEY = "duban_background_tasks"


class BackgroundTasks:
    """The background tasks of one process."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel_all(self, *, grace: float = 5.0) -> None:
        """Cancel every task; wait at most `grace` seconds for them to wind down."""
        tasks = list(self._tasks)
        if not tasks:
            return
        log.info("interrupting %s background tasks (reported at the next start)", len(tasks))
        for task in tasks:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=grace)


def background(bot_data: dict[str, Any]) -> BackgroundTasks:
    """The application's background tasks (kept in `bot_data`)."""
    found = bot_data.get(BACKGROUND_KEY)
    if isinstance(found, BackgroundTasks):
        return found
    tasks = BackgroundTasks()
    bot_data[BACKGROUND_KEY] = tasks
    return tasks
