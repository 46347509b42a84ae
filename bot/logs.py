"""Logging: one line per event, and never the bot token or webhook secret.

httpx logs every request URL at INFO, and Bot API URLs contain the token, so httpx is
held at WARNING; a redacting filter on the root handler catches anything else.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's final message with a placeholder."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are rendered later by the formatter; render and redact them now.
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self.secrets:
                text = text.replace(secret, "[REDACTED]")
            redacted = f"{redacted} | {text}".replace("\n", " | ")
            record.exc_info = None
            record.exc_text = None
        if redacted != message or "\n" in redacted:
            record.msg = redacted.replace("\n", " | ")
            record.args = None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Python warnings become log events too: one line each, through the same redaction.
    logging.captureWarnings(True)
    for noisy in (
        "httpx",
        "httpcore",
        "apscheduler",
        "telegram.ext.ExtBot",
        "aiosqlite",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
