"""Duban's database schema: SQLAlchemy 2 declarative models.

The same models run on SQLite (aiosqlite) and PostgreSQL (asyncpg). Times are stored
as UTC (`UTCDateTime` rejects naive values so a local time can never slip in).
Every column a handler looks things up by carries an index; Alembic migrations under
`storage/migrations` are generated from these models and a test checks they agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zones: keep it naive there, in UTC by contract.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Roles and states are plain strings (portable, readable in exports); these are the values.
ROLE_ADMIN, ROLE_LEADER, ROLE_LIAISON = "admin", "leader", "liaison"
# A binding's unit role (牵头单位 / 配合单位), as the importer names them.
BINDING_LEAD, BINDING_SUPPORTING = "lead", "supporting"
STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE, STATUS_BLOCKED = (
    "not_started",
    "in_progress",
    "done",
    "blocked",
)
STATUSES = (STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE, STATUS_BLOCKED)
REVIEW_NONE, REVIEW_PENDING, REVIEW_ACCEPTED, REVIEW_RETURNED = (
    "none",
    "pending",
    "accepted",
    "returned",
)


class Campaign(Base):
    """One year's assessment (考核方案), built from one source document."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    source_name: Mapped[str] = mapped_column(String(300))
    # sha256 of the parsed structure: the same document (any encoding) imports once.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # supervision (issue 22): when the campaign's clock starts (pace, a department's
    # silence); None = 1 January of its year.
    starts_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    departments: Mapped[list[Department]] = relationship(back_populates="campaign")
    items: Mapped[list[Item]] = relationship(back_populates="campaign")


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    number: Mapped[int | None] = mapped_column(Integer)  # A-class order in the document
    name: Mapped[str] = mapped_column(String(200))
    dept_class: Mapped[str] = mapped_column(String(1))  # "A" or "B"
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    campaign: Mapped[Campaign] = relationship(back_populates="departments")


class Item(Base):
    """An assessment item (考核要点)."""

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))  # general / department / b_class
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # From table documents (issue 14): 分值 and 考核标准; list documents have neither.
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    standard: Mapped[str] = mapped_column(Text, default="", server_default="")
    # --- supervision (issue 22): dated steps and pace -------------------------------
    # Every dated step of the text ("6月底前…", "9月30日前…"), ISO dates, oldest first; the
    # office may edit them (/milestones). The item's own deadline stays its last step.
    milestones: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The value a cumulative target (its first target, "不少于2次") reaches by the due date,
    # paced along the year; None = not paced (rates never are). Set on import from the
    # target's wording (core.status.model.is_cumulative); the office may change it (/pace).
    pace_target: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    # --- end supervision --------------------------------------------------------------

    campaign: Mapped[Campaign] = relationship(back_populates="items")
    targets: Mapped[list[Target]] = relationship(
        back_populates="item", order_by="Target.position", cascade="all, delete-orphan"
    )


class Target(Base):
    """A quantitative target of an item, e.g. 秸秆综合利用率 >= 90 %."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("item_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(120))
    op: Mapped[str] = mapped_column(String(2))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit: Mapped[str] = mapped_column(String(20), default="")

    item: Mapped[Item] = relationship(back_populates="targets")


class Binding(Base):
    """Department x item. Carries the latest report's state so screens need one query."""

    __tablename__ = "binding"
    __table_args__ = (
        UniqueConstraint("department_id", "item_id"),
        Index("ix_binding_campaign_status", "campaign_id", "status"),
        Index("ix_binding_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default=STATUS_NOT_STARTED)
    review_state: Mapped[str] = mapped_column(String(10), default=REVIEW_NONE)
    # 牵头单位 "lead" or 配合单位 "supporting" (issue 14); both answer for the item.
    role: Mapped[str] = mapped_column(String(12), default=BINDING_LEAD, server_default=BINDING_LEAD)
    # Plain id, not a foreign key: report -> binding already points the other way, and a
    # cycle of foreign keys makes SQLite migrations and bulk loads needlessly awkward.
    last_report_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the item turning red (past its deadline, not done) was first told: once only.
    red_reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # --- supervision (issue 22) ----------------------------------------------------------
    # An approved extension: this binding's due date instead of the item's (history in
    # `extension`).
    extended_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # An open rectification (整改): due by this date; cleared when a report is accepted.
    rectification_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    rectification_measures: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The latest value reported for the item's paced target (core.status.model.pace_target).
    progress_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), nullable=True)
    # --- end supervision --------------------------------------------------------------

    department: Mapped[Department] = relationship()
    item: Mapped[Item] = relationship()


class User(Base):
    """A Telegram user Duban knows. No row (or no role) means a stranger."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tg_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[str | None] = mapped_column(String(10))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    # A deputy liaison gets reminders only when the main liaison is away or silent.
    is_deputy: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()


class Invite(Base):
    """A one-time invite code for a liaison of a department, or for a leader."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE")
    )
    deputy: Mapped[bool] = mapped_column(Boolean, default=False)  # a deputy liaison
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Report(Base):
    """A progress report (进展汇报) on one binding. Never updated in place, only appended.

    `source_chat_id`/`source_message_id` name the Telegram message that saved it (the
    photo, or /done): an update delivered twice after a crash records one report.
    """

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_binding_created", "binding_id", "created_at"),
        UniqueConstraint("source_chat_id", "source_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("binding.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(12), default="conversation")
    review_state: Mapped[str] = mapped_column(String(10), default=REVIEW_NONE, index=True)
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    binding: Mapped[Binding] = relationship(foreign_keys=[binding_id])
    reporter: Mapped[User | None] = relationship()
    values: Mapped[list[ReportValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Evidence.id"
    )


class ReportValue(Base):
    """The value a report gives for one target of its item."""

    __tablename__ = "report_value"
    __table_args__ = (UniqueConstraint("report_id", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("target.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))

    report: Mapped[Report] = relationship(back_populates="values")
    target: Mapped[Target] = relationship()


class Evidence(Base):
    """A photo or document (佐证材料) attached to a report, also kept in the evidence store."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # photo / document
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    file_name: Mapped[str] = mapped_column(String(255), default="")
    stored_path: Mapped[str] = mapped_column(String(500))  # relative to EVIDENCE_DIR
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    reused_from_report_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="evidence")


class Review(Base):
    """An office reviewer's decision on a report marked done."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(10))  # accepted / returned
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestSent(Base):
    """Claim-then-mark record that makes a group's digest go out once per local day."""

    __tablename__ = "digest_sent"
    __table_args__ = (UniqueConstraint("chat_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    local_date: Mapped[dt.date] = mapped_column(Date)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Figures of that day's digest (e.g. the overall rate) for "change since yesterday".
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReminderSent(Base):
    """A reminder told once per user, subject and period (e.g. silent item, deadline 7 days)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("user_tg_id", "kind", "subject", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_tg_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # silent / deadline / weekly / urge
    subject: Mapped[str] = mapped_column(String(60))  # e.g. a binding id, or "all"
    period: Mapped[str] = mapped_column(String(30))  # e.g. "2020-06-01", "d7", "2020-W23"
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Leave(Base):
    """A liaison's leave: no reminders to them between the dates (local, inclusive)."""

    __tablename__ = "leave"
    __table_args__ = (Index("ix_leave_user_dates", "user_tg_id", "start_date", "end_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_tg_id: Mapped[int] = mapped_column(BigInteger)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(Base):
    """Who did what, when: joins, failed joins, invites, urges, reviews, imports."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_actor_action_at", "actor_tg_id", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """Small key/value settings the bot changes at run time (e.g. the office group)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ConversationDraft(Base):
    """A conversation in progress (e.g. /report), so it survives a restart of the bot.

    `state` is the ConversationHandler state; `data` the answers given so far.
    """

    __tablename__ = "conversation_draft"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# An inbox row's life: pending until a worker handled it (or gave up on it).
INBOX_PENDING, INBOX_HANDLED, INBOX_DEAD = "pending", "handled", "dead"


class InboxUpdate(Base):
    """A raw Telegram update, committed before Telegram is told it arrived (issue 11).

    `seq` (the row's own autoincrement) is the order of handling within a chat: Telegram
    may restart update ids after a week without updates, so `update_id` only deduplicates
    a redelivery while the row is kept (handled rows are pruned after INBOX_KEEP_HOURS).
    """

    __tablename__ = "inbox_update"
    __table_args__ = (
        UniqueConstraint("update_id"),
        # The workers' lookup: the pending updates of a chat, in arrival order.
        Index("ix_inbox_update_state_chat_seq", "state", "chat_key", "seq"),
        Index("ix_inbox_update_state_handled_at", "state", "handled_at"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    update_id: Mapped[int] = mapped_column(BigInteger)
    # The chat whose order this update keeps (its user's id when it has no chat).
    chat_key: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default=INBOX_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A reply a use case decided on: written in its transaction, sent after the commit."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_sent_at_id", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    # send_message's other arguments as JSON (parse_mode, reply_markup as a dict).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when Telegram accepted it, or when it was given up on (`failed` says so).
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[str | None] = mapped_column(Text)


EXPORT_RUNNING, EXPORT_DONE, EXPORT_FAILED, EXPORT_INTERRUPTED = (
    "running",
    "done",
    "failed",
    "interrupted",
)


class ExportRun(Base):
    """An /export started from Telegram: its progress while it runs in the background
    (a restart finds runs whose heartbeat stopped and tells their admin), and, for a
    workbook too large to upload, the one-time download link's token (its sha256)."""

    __tablename__ = "export_run"
    __table_args__ = (Index("ix_export_run_state_heartbeat", "state", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    admin_tg_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the progress message
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    state: Mapped[str] = mapped_column(String(12), default=EXPORT_RUNNING)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[str | None] = mapped_column(String(500))  # kept for the download link
    file_name: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    token_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- supervision (issue 22)

EXTENSION_PENDING, EXTENSION_APPROVED, EXTENSION_REJECTED = "pending", "approved", "rejected"


class Extension(Base):
    """A request to move one binding's due date (延期申请) and the office's decision: the
    original date, the requested one, who asked and why, who decided, when and why."""

    __tablename__ = "extension"
    __table_args__ = (Index("ix_extension_binding", "binding_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("binding.id", ondelete="CASCADE"))
    original_due: Mapped[dt.date | None] = mapped_column(Date)
    requested_due: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[int] = mapped_column(BigInteger)  # Telegram user id
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default=EXTENSION_PENDING)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(Text, default="")


# ---------------------------------------------------------------- scoring (issue 20)
# The year's assessment result: a scheme per campaign (评分办法), points per binding,
# item scores with their deductions (扣分理由), department-level bonus, penalty and
# vetoes, and a log of every change (who, when, before, after, why). Amounts are
# Numeric (Decimal in Python), never floats. The arithmetic lives in core.scoring.

# A veto condition's effect on the grade (一票否决).
VETO_FAIL, VETO_NO_TOP, VETO_DOWN_ONE = "fail", "no_top", "down_one"
VETO_EFFECTS = (VETO_FAIL, VETO_NO_TOP, VETO_DOWN_ONE)
# Which total grades when a department's points do not add up to 100.
GRADE_ON_CONVERTED, GRADE_ON_RAW = "converted", "raw"
# A deduction's life: proposed by a rule, then confirmed or rejected by a person;
# a person's own deduction is confirmed when made; withdrawn when replaced or undone.
DEDUCTION_PROPOSED, DEDUCTION_CONFIRMED, DEDUCTION_REJECTED, DEDUCTION_WITHDRAWN = (
    "proposed",
    "confirmed",
    "rejected",
    "withdrawn",
)
ADJUST_BONUS, ADJUST_PENALTY = "bonus", "penalty"


class ScoringScheme(Base):
    """A campaign's scoring scheme (评分办法); confirmed before scoring starts.

    `grades`: [[name, lower bound as a decimal string], ...] best first, the last one the
    grade below every bound (e.g. 不合格). `rules`: deduction rules from the year's record,
    [{"kind": "past_due", "points": "2"}, ...]; Duban proposes, a person confirms.
    """

    __tablename__ = "scoring_scheme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), unique=True
    )
    # "document" (points from the table's 分值) or "blocks" (common / own shares).
    source: Mapped[str] = mapped_column(String(12), default="blocks")
    common_share: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(30))
    own_share: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(70))
    grades: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    grade_on: Mapped[str] = mapped_column(String(10), default=GRADE_ON_CONVERTED)
    bonus_cap: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(10))
    penalty_cap: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(10))
    # 配合单位: whether a supporting binding's points count toward its unit's 100, and
    # the share of the lead unit's deduction it takes when they do not.
    supporting_counts: Mapped[bool] = mapped_column(Boolean, default=False)
    supporting_share: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("0.5"))
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class VetoCondition(Base):
    """A 一票否决 condition of a scheme, with its effect on the grade."""

    __tablename__ = "veto_condition"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))  # what admins type, e.g. V1
    name: Mapped[str] = mapped_column(String(200))
    effect: Mapped[str] = mapped_column(String(10))  # VETO_EFFECTS


class BindingPoints(Base):
    """The points (分值) one binding is worth in the scheme."""

    __tablename__ = "binding_points"

    binding_id: Mapped[int] = mapped_column(
        ForeignKey("binding.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItemScore(Base):
    """A binding the office has scored: its score is its points minus its confirmed
    deductions, down to zero at most (扣完为止). No row: not scored yet."""

    __tablename__ = "item_score"

    binding_id: Mapped[int] = mapped_column(
        ForeignKey("binding.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    scored_by: Mapped[int | None] = mapped_column(BigInteger)
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deduction(Base):
    """A deduction (扣分) on one binding, with its reason; `source` is "manual", or the
    rule ("rule:past_due") or record ("sitecheck:12") that proposed it."""

    __tablename__ = "deduction"
    __table_args__ = (Index("ix_deduction_binding_state", "binding_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    binding_id: Mapped[int] = mapped_column(ForeignKey("binding.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    state: Mapped[str] = mapped_column(String(10), default=DEDUCTION_CONFIRMED)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScoreAdjustment(Base):
    """A department's bonus (加分) or penalty (减分) points, with the reason."""

    __tablename__ = "score_adjustment"
    __table_args__ = (
        Index("ix_score_adjustment_campaign_department", "campaign_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # bonus / penalty
    amount: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by: Mapped[int | None] = mapped_column(BigInteger)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class VetoRecord(Base):
    """A 一票否决 applied to a department: the condition, its grounds and the body that
    established it (认定部门)."""

    __tablename__ = "veto_record"
    __table_args__ = (Index("ix_veto_record_campaign_department", "campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    condition_id: Mapped[int] = mapped_column(ForeignKey("veto_condition.id", ondelete="CASCADE"))
    grounds: Mapped[str] = mapped_column(Text)
    confirmed_by_body: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by: Mapped[int | None] = mapped_column(BigInteger)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScoreAudit(Base):
    """Every change of a scheme, a point value, a score, a deduction, a bonus, a penalty
    or a veto: who, when, what, the value before and after, and why."""

    __tablename__ = "score_audit"
    __table_args__ = (Index("ix_score_audit_campaign_at", "campaign_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))  # e.g. points, score, bonus, veto_undo
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    binding_id: Mapped[int | None] = mapped_column(
        ForeignKey("binding.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200), default="")  # e.g. "区农业农村局 A5.1"
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")


# ---------------------------------------------------------------- year end (issue 21)
# The sequence around the scoring engine: self-assessment (自评) → office review with
# site checks (实地核查) → feedback (反馈) → re-check requests (复核) → approval (审定) →
# final (定稿). The rules live in core.yearend; scores themselves are the engine's.

SELF_DRAFT, SELF_SUBMITTED, SELF_RETURNED = "draft", "submitted", "returned"
APPEAL_OPEN, APPEAL_UPHELD, APPEAL_CHANGED = "open", "upheld", "changed"
# What an appeal is about (复核事项).
APPEAL_ITEM, APPEAL_BONUS, APPEAL_PENALTY, APPEAL_VETO, APPEAL_GRADE = (
    "item",
    "bonus",
    "penalty",
    "veto",
    "grade",
)
APPEAL_TARGETS = (APPEAL_ITEM, APPEAL_BONUS, APPEAL_PENALTY, APPEAL_VETO, APPEAL_GRADE)


class YearEnd(Base):
    """Where a campaign's year end stands: one row per campaign, every step's when and who."""

    __tablename__ = "yearend"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), unique=True
    )
    self_opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    self_opened_by: Mapped[int | None] = mapped_column(BigInteger)
    self_deadline: Mapped[dt.date | None] = mapped_column(Date)  # local date, inclusive
    self_closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recheck_days: Mapped[int] = mapped_column(Integer, default=5)
    approval_body: Mapped[str] = mapped_column(String(200), default="")
    approval_date: Mapped[dt.date | None] = mapped_column(Date)
    approval_number: Mapped[str] = mapped_column(String(100), default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(BigInteger)
    finalized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finalized_by: Mapped[int | None] = mapped_column(BigInteger)


class SelfAssessment(Base):
    """A department's self-assessment (自评): draft, submitted (locked) or returned."""

    __tablename__ = "self_assessment"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10), default=SELF_DRAFT)
    # The optional self-check report (自查报告), kept in the evidence store by sha256.
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    report_file_id: Mapped[str | None] = mapped_column(String(200))
    report_name: Mapped[str] = mapped_column(String(255), default="")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(BigInteger)
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    returned_by: Mapped[int | None] = mapped_column(BigInteger)
    return_comment: Mapped[str] = mapped_column(Text, default="")


class SelfScore(Base):
    """A department's proposed score for one of its bindings, with its statement."""

    __tablename__ = "self_score"

    binding_id: Mapped[int] = mapped_column(
        ForeignKey("binding.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    statement: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteCheck(Base):
    """A site check (实地核查) of a department: when, who went, what was found, photos.
    A deduction cites it by its source "sitecheck:ID"."""

    __tablename__ = "site_check"
    __table_args__ = (Index("ix_site_check_campaign_department", "campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(Text)  # who went
    findings: Mapped[str] = mapped_column(Text)
    # Telegram file ids of the photos (the evidence store holds the files by sha256).
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResultFeedback(Base):
    """A department told its preliminary result (反馈): when, and its re-check deadline."""

    __tablename__ = "result_feedback"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    delivered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recheck_deadline: Mapped[dt.date] = mapped_column(Date)  # local date, inclusive
    sent_by: Mapped[int | None] = mapped_column(BigInteger)


class Appeal(Base):
    """A re-check request (复核申请) on a department's result, and the office's decision."""

    __tablename__ = "appeal"
    __table_args__ = (Index("ix_appeal_campaign_state", "campaign_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(10))  # APPEAL_TARGETS
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("binding.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200), default="")  # e.g. "A5.1"
    reason: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram file ids
    state: Mapped[str] = mapped_column(String(10), default=APPEAL_OPEN)
    filed_by: Mapped[int | None] = mapped_column(BigInteger)
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str] = mapped_column(Text, default="")
    new_score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
