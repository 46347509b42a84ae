"""The process's metrics in Prometheus' text format (issue 19, point 8).

Two kinds, served together by /metrics (bot/ops/server.py):

* **Shared state, read from the database at scrape time** (`SharedStateCollector`): the
  inbox's depth and oldest pending update, dead letters, unsent replies, the last digest
  sent, exports running. Every process reads the same rows, so with several processes
  every one of them reports the same truth: aggregate these with max(), never sum().
* **This process's own counters**: updates handled and failed per handler and the
  handler latency histogram (fed by the inbox worker through `record_handled`), the
  background tasks running here, and prometheus_client's process metrics (CPU, memory,
  file descriptors). Sum these over processes.

Labels carry a handler's name from the code (`handler_label`: a registered command, a
button's prefix, or the kind of update), never anything a user typed, a name or a token.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from runtime.services import AnyApplication
from storage.health import SharedState

# One registry per process, not prometheus_client's global one: what is in it is listed
# here and nowhere else.
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

UPDATES_HANDLED = Counter(
    "duban_updates_handled",
    "Updates this process handled successfully, by handler.",
    ["handler"],
    registry=REGISTRY,
)
UPDATES_FAILED = Counter(
    "duban_updates_failed",
    "Attempts at an update that failed in this process (retried or dead-lettered), by handler.",
    ["handler"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "duban_handler_duration_seconds",
    "Time from taking an update from the inbox to its handler's end, in this process.",
    ["handler"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)

# Background work this process runs as named asyncio tasks (handlers/export/command.py
# names each export task "export-<run id>").
BACKGROUND_TASK_PREFIXES = {"export": "export-"}


def record_handled(handler: str, seconds: float, ok: bool) -> None:
    """One attempt at an update ended: `ok` if its outcome was committed.

    Called by the inbox worker (bot/intake/work.py) around `Application.process_update`.
    """
    HANDLER_SECONDS.labels(handler).observe(seconds)
    (UPDATES_HANDLED if ok else UPDATES_FAILED).labels(handler).inc()


# ------------------------------------------------------------------ handler labels

_MESSAGE_KINDS = ("photo", "document", "text")
_PREFIX = re.compile(r"^\^([A-Za-z_]+)")
_COMMAND = re.compile(r"/(\S*)")


class HandlerLabels:
    """The commands and button prefixes an Application registered: the label vocabulary."""

    def __init__(self, commands: Iterable[str], button_prefixes: Iterable[str]) -> None:
        self.commands = frozenset(c.lower() for c in commands)
        self.button_prefixes = frozenset(button_prefixes)

    @classmethod
    def of(cls, app: AnyApplication) -> HandlerLabels:
        commands: set[str] = set()
        prefixes: set[str] = set()

        def walk(handlers: Iterable[Any]) -> None:
            for handler in handlers:
                if isinstance(handler, CommandHandler):
                    commands.update(handler.commands)
                elif isinstance(handler, CallbackQueryHandler):
                    pattern = getattr(handler.pattern, "pattern", handler.pattern)
                    if isinstance(pattern, str) and (found := _PREFIX.match(pattern)):
                        prefixes.add(found.group(1))
                elif isinstance(handler, ConversationHandler):
                    walk(handler.entry_points)
                    for state_handlers in handler.states.values():
                        walk(state_handlers)
                    walk(handler.fallbacks)

        for group in app.handlers.values():
            walk(group)
        return cls(commands, prefixes)

    def label(self, payload: Mapping[str, Any]) -> str:
        """A bounded name for what handles this raw update; no user text gets through."""
        kind = next((key for key in payload if key != "update_id"), "")
        body = payload.get(kind)
        if not isinstance(body, Mapping):
            return "other"
        if kind == "callback_query":
            data = body.get("data")
            prefix = data.split(":", 1)[0] if isinstance(data, str) else ""
            return f"button:{prefix}" if prefix in self.button_prefixes else "button:other"
        if kind == "message":
            text = body.get("text")
            if isinstance(text, str) and (found := _COMMAND.match(text)):
                command = found.group(1).partition("@")[0].lower()
                return f"command:{command}" if command in self.commands else "command:other"
            return next((k for k in _MESSAGE_KINDS if k in body), "message:other")
        return kind if re.fullmatch(r"[a-z_]{1,40}", kind) else "other"


@functools.lru_cache(maxsize=8)
def _labels_of(app: AnyApplication) -> HandlerLabels:
    return HandlerLabels.of(app)


def handler_label(app: AnyApplication, payload: Mapping[str, Any]) -> str:
    """The handler label of a raw update for `app` (its vocabulary is read once)."""
    return _labels_of(app).label(payload)


# ------------------------------------------------------------------ shared state


def render(state: SharedState | None, now: dt.datetime) -> bytes:
    """The whole /metrics page: this process's registry, then the shared gauges."""
    shared = CollectorRegistry(auto_describe=False)
    shared.register(SharedStateCollector(state, now))
    return generate_latest(REGISTRY) + generate_latest(shared)


class SharedStateCollector(Collector):
    """Gauges of the state all processes share, from one database read of this scrape.

    The /metrics route reads the database (asynchronously) and renders a collector made
    of that read; `collect` only formats it. When the read failed, `duban_database_up` is
    0 and the shared gauges are left out rather than stale.
    """

    def __init__(self, state: SharedState | None, now: dt.datetime) -> None:
        self.state = state
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self.state
        yield GaugeMetricFamily(
            "duban_database_up",
            "1 if this scrape could read the database, else 0.",
            value=0 if state is None else 1,
        )
        running = GaugeMetricFamily(
            "duban_background_tasks_running",
            "Background tasks running: 'shared' from the database (every process), "
            "'process' in this process.",
            labels=["kind", "scope"],
        )
        for kind, prefix in BACKGROUND_TASK_PREFIXES.items():
            running.add_metric([kind, "process"], _tasks_named(prefix))
        if state is None:
            yield running
            return
        running.add_metric(["export", "shared"], state.exports_running)
        yield running
        yield GaugeMetricFamily(
            "duban_inbox_pending_updates",
            "Updates received and not handled yet (all processes).",
            value=state.inbox_pending,
        )
        yield GaugeMetricFamily(
            "duban_inbox_oldest_pending_age_seconds",
            "How long the oldest pending update has waited (0 when none).",
            value=_age(state.inbox_oldest_pending_at, self.now),
        )
        yield GaugeMetricFamily(
            "duban_inbox_dead_letters",
            "Updates set aside after failing every attempt (kept until looked at).",
            value=state.dead_letters,
        )
        yield GaugeMetricFamily(
            "duban_outbox_pending_messages",
            "Replies committed and not sent yet.",
            value=state.outbox_pending,
        )
        yield GaugeMetricFamily(
            "duban_outbox_oldest_pending_age_seconds",
            "How long the oldest unsent reply has waited (0 when none).",
            value=_age(state.outbox_oldest_pending_at, self.now),
        )
        if state.last_digest_sent_at is not None:
            yield GaugeMetricFamily(
                "duban_digest_last_sent_timestamp_seconds",
                "When a daily digest was last sent to a group (Unix time).",
                value=state.last_digest_sent_at.timestamp(),
            )


def _age(moment: dt.datetime | None, now: dt.datetime) -> float:
    return 0.0 if moment is None else max(0.0, (now - moment).total_seconds())


def _tasks_named(prefix: str) -> int:
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no running loop (a scrape outside one, in a test)
        return 0
    return sum(1 for task in tasks if task.get_name().startswith(prefix) and not task.done())
