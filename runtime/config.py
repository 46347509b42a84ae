"""Duban's configuration: read once from the environment or a `.env` file.

Every setting is validated by pydantic so that a bad value stops the start with one
line naming the variable (see `load_settings`), instead of failing later inside a
handler.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.status.day import Reading
from core.status.model import Rules
from storage.db import PoolSize

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """A setting is invalid; `str()` is one line naming the variable."""


class Settings(BaseSettings):
    """All of Duban's settings. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'duban.sqlite3'}"
    evidence_dir: Path = DEFAULT_DATA_DIR / "evidence"
    timezone: str = "Asia/Shanghai"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    digest_time: dt.time = dt.time(9, 0)
    default_locale: Literal["zh", "en"] = "zh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    silent_days: int = Field(default=14, ge=1, le=365)
    reminder_days: int = Field(default=7, ge=1, le=365)
    yellow_days: int = Field(default=7, ge=0, le=365)
    invite_ttl_days: int = Field(default=7, ge=1, le=365)
    conversation_timeout_minutes: float = Field(default=30, gt=0, le=24 * 60)
    # Which days reminders go out: the Chinese calendar (holidays, adjusted working
    # days) or plain Monday-Friday.
    workdays_calendar: Literal["cn", "none"] = "cn"
    # Telegram's own limits (30 messages/s, 20/min per group): keep on; off only to
    # measure the bot's own processing in benchmarks.
    telegram_rate_limit: bool = True
    # Reminders go out only between these local times (issue 5).
    reminder_earliest: dt.time = dt.time(8, 0)
    reminder_latest: dt.time = dt.time(21, 0)
    # LibreOffice, which converts .doc / .wps uploads to .docx (issue 14); a name on
    # PATH or a full path. Without it such files get "save it as .docx".
    soffice_path: str = "soffice"
    # The inbox (issue 11): handled updates (and sent replies) are kept this long, then
    # pruned; under a week, since Telegram may restart update ids after a silent week.
    inbox_keep_hours: float = Field(default=48, gt=0, le=24 * 6)
    # A handler that raises is tried this many times in all, then set aside (dead letter).
    inbox_max_attempts: int = Field(default=3, ge=1, le=20)
    # Issue 19: chats handled at once per process (one update at a time per chat), chosen
    # by measurement (bench/RESULTS.md); the database pool sized for them (see
    # `pool_size`); and how long a SIGTERM waits for the chats in progress.
    intake_concurrency: int = Field(default=16, ge=1, le=256)
    db_pool_size: int | None = Field(default=None, ge=1, le=1000)
    db_pool_overflow: int | None = Field(default=None, ge=0, le=1000)
    db_pool_timeout: float = Field(default=30, gt=0, le=600)
    shutdown_grace_seconds: float = Field(default=20, ge=0, le=600)
    # Telegram's simultaneous webhook connections (1-100); the inbox commit answers each.
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # The export (issue 13): Excel's rows per sheet (a longer sheet continues on the next);
    # the largest workbook sent as a Telegram document (bots may upload 50 MB), past
    # which the admin gets a one-time download link valid this many hours.
    export_sheet_rows: int = Field(default=1_048_576, ge=10, le=1_048_576)
    export_upload_limit_mb: float = Field(default=50, gt=0, le=2000)
    export_link_hours: float = Field(default=24, gt=0, le=24 * 30)
    # Where such a workbook waits for its download, and the public address of the
    # dashboard's download route (GET ...?token=); without it the admin is told the path.
    export_dir: Path | None = None  # default: "exports" beside EVIDENCE_DIR
    export_download_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # -- dashboard (issue 12): the Mini App's public HTTPS address; unset = no dashboard --
    webapp_url: str | None = None
    webapp_listen: str = "127.0.0.1"
    webapp_port: int = Field(default=8081, ge=0, le=65535)  # 0: any free port (tests)
    webapp_short_name: str | None = None  # as registered with @BotFather, for t.me links
    webapp_init_data_max_age: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    # -- end dashboard --
    # -- hardening (issue 18): what one import parse may use, in its own child process --
    import_memory_mb: int = Field(default=1024, ge=128, le=16384)
    import_cpu_seconds: int = Field(default=60, ge=1, le=3600)
    import_wall_seconds: float = Field(default=90, gt=0, le=3600)
    import_max_pdf_pages: int = Field(default=200, ge=1, le=10000)
    import_docx_max_mb: int = Field(default=200, ge=1, le=4096)
    import_docx_max_entries: int = Field(default=2000, ge=10, le=100000)
    # The dashboard's evidence previews, made once and kept (default: "thumbnails" beside
    # EVIDENCE_DIR).
    thumbnail_dir: Path | None = None
    # Nothing grows without bound (bot/retention.py, run by housekeeping): dead letters,
    # album drafts whose report never came, sent replies, previews unused this long, and
    # a cap on evidence files one liaison sends per local day.
    dead_letter_keep_days: float = Field(default=30, gt=0, le=3650)
    album_draft_keep_hours: float = Field(default=48, gt=0, le=24 * 365)
    outbox_keep_hours: float = Field(default=48, gt=0, le=24 * 365)
    thumbnail_keep_days: float = Field(default=30, gt=0, le=3650)
    evidence_per_day: int = Field(default=200, ge=1, le=100_000)
    # -- end hardening --

    @property
    def pool_size(self) -> PoolSize:
        """Connections per process. Each chat in progress may hold three at once (its
        transaction, the claim of its update, an outbox row being sent); the jobs, the
        outbox sweep and the web server need a few more."""
        size = self.db_pool_size or 2 * self.intake_concurrency + 4
        overflow = (
            self.db_pool_overflow
            if self.db_pool_overflow is not None
            else self.intake_concurrency + 4
        )
        return PoolSize(size=size, overflow=overflow, timeout=self.db_pool_timeout)

    # -- operations (issue 19): /livez, /readyz, /metrics on a port of their own --
    metrics_listen: str = "127.0.0.1"
    metrics_port: int = Field(default=9469, ge=0, le=65535)  # 0: any free port (tests)
    metrics_enabled: bool = True
    # /readyz answers 503 once the oldest pending inbox update has waited longer.
    ready_max_inbox_age_seconds: float = Field(default=120, gt=0, le=24 * 3600)
    # -- end operations --
    # -- supervision (issue 22) --
    # Points of a cumulative target (percent) a department may lag the pace line.
    pace_margin: Decimal = Field(default=Decimal(10), ge=0, le=100)
    # An extension is asked at least this many working days before the due date.
    extension_notice_days: int = Field(default=3, ge=0, le=60)
    extensions_per_binding: int = Field(default=1, ge=0, le=20)
    # A returned report's rectification is due this many working days later by default.
    rectification_days: int = Field(default=5, ge=1, le=60)
    # -- end supervision --

    @property
    def status_rules(self) -> Rules:
        """The status model's rules from these settings: built here and nowhere else."""
        return Rules(self.tz, self.yellow_days, self.silent_days, self.pace_margin)

    def reading(self, now: dt.datetime) -> Reading:
        """The day an update or a job reads at `now` (its clock's time): these settings'
        rules and the local date, made here once per update or job and passed down."""
        return Reading(now, self.status_rules)

    @property
    def exports_path(self) -> Path:
        return self.export_dir or self.evidence_dir.parent / "exports"

    @property
    def thumbnails_path(self) -> Path:
        return self.thumbnail_dir or self.evidence_dir.parent / "thumbnails"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _TOKEN_SHAPE.match(value.strip()):
            # Never echo the value: it may be a real token pasted slightly wrong.
            raise ValueError("must look like 123456:ABC... as given by @BotFather")
        return value.strip()

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        # Telegram's rule for secret_token; never echo the value.
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webapp_url", mode="before")
    @classmethod
    def _webapp_url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value.strip()):
            raise ValueError("must be the dashboard's https:// address, e.g. https://host/app/")
        return value.strip()

    @field_validator("webapp_short_name", mode="before")
    @classmethod
    def _short_name(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_]{3,30}", value.strip()):
            raise ValueError("must be the Mini App's short name from @BotFather (3-30 of A-z0-9_)")
        return value.strip()

    @field_validator("metrics_port")
    @classmethod
    def _own_metrics_port(cls, value: int, info: ValidationInfo) -> int:
        # Health and metrics are for the operators' network, never on a public port.
        for other in ("webhook_port", "webapp_port"):
            if value and value == info.data.get(other):
                raise ValueError(f"must differ from {other.upper()} ({value})")
        return value

    @field_validator("telegram_api_base_url", "telegram_file_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://...")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone (use an IANA name like Asia/Shanghai)") from exc
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s;]+", value) if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("must be comma-separated Telegram user ids") from exc
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _parse_time(cls, value: object) -> object:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
            if not match:
                raise ValueError("must be HH:MM, e.g. 09:00")
            hour, minute = int(match[1]), int(match[2])
            if hour > 23 or minute > 59:
                raise ValueError("must be HH:MM, e.g. 09:00")
            return dt.time(hour, minute)
        return value

    @field_validator("reminder_earliest", "reminder_latest", mode="before")
    @classmethod
    def _parse_reminder_time(cls, value: object) -> object:
        return cls._parse_time(value)

    @field_validator("default_locale", mode="before")
    @classmethod
    def _locale(cls, value: object) -> object:
        return value.strip().lower()[:2] if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into one line naming the variable."""
    try:
        # Overrides are environment-like values pydantic validates, so their type is open.
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Invalid setting {field.upper()}: {message}") from None
