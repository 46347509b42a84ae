"""The long-lived services of one bot process (settings, database, evidence store, clock).

Defined here, not in `handlers/` or `bot/`, because both use them: the wiring opens them
and the handlers and scheduled jobs read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from core.reporting.evidence import EvidenceStore
from runtime.config import Settings
from storage.db import Database


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    """Long-lived things of one bot process, opened in post_init, closed in post_shutdown."""

    settings: Settings
    db: Database
    evidence_store: EvidenceStore
    clock: Callable[[], dt.datetime] = system_clock
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def admin_ids(self) -> frozenset[int]:
        return self.settings.admin_ids


# PTB's Application with Duban's (default) context types, for signatures.
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
