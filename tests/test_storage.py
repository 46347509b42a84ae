"""Storage round trips on SQLite and PostgreSQL: the schema the migrations build holds
what the flows need, keeps times in UTC, and enforces the uniqueness the domain relies on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    AuditLog,
    Base,
    Binding,
    Campaign,
    ConversationDraft,
    Department,
    DigestSent,
    Evidence,
    Invite,
    Item,
    Report,
    ReportValue,
    Review,
    Target,
    User,
)


async def _campaign(db: Database) -> tuple[int, int, int, int]:
    async with db.session() as s:
        campaign = Campaign(year=2020, title="t", source_name="s.txt", fingerprint="f" * 64)
        s.add(campaign)
        await s.flush()
        dept = Department(
            campaign_id=campaign.id,
            number=5,
            name="区农业农村局",
            dept_class="A",
            aliases=["农业农村局"],
        )
        s.add(dept)
        await s.flush()
        item = Item(
            campaign_id=campaign.id,
            code="A5.1",
            kind="department",
            department_id=dept.id,
            title="全面禁止露天焚烧秸秆",
            text="全面禁止露天焚烧秸秆……达到90%以上",
            deadline=dt.date(2020, 12, 31),
            targets=[
                Target(position=0, metric="秸秆综合利用率", op=">=", value=Decimal(90), unit="%")
            ],
        )
        s.add(item)
        await s.flush()
        binding = Binding(campaign_id=campaign.id, department_id=dept.id, item_id=item.id)
        user = User(tg_id=7_000_000_001, role="liaison", department_id=dept.id, display_name="张三")
        s.add_all([binding, user])
        await s.commit()
        return campaign.id, dept.id, item.id, binding.id


async def test_migrations_match_models(db: Database) -> None:
    """The Alembic head and the models agree: nothing left to autogenerate."""
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert diff == []


async def test_report_round_trip_keeps_values_evidence_and_utc(db: Database) -> None:
    _, dept_id, item_id, binding_id = await _campaign(db)
    reported_at = dt.datetime(2020, 6, 1, 1, 30, tzinfo=dt.UTC)
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.tg_id == 7_000_000_001))
        target = await s.scalar(select(Target).where(Target.item_id == item_id))
        assert user and target
        report = Report(
            binding_id=binding_id,
            reporter_id=user.id,
            status="done",
            text="秸秆综合利用已完成",
            created_at=reported_at,
            values=[ReportValue(target_id=target.id, value=Decimal("92.5"))],
            evidence=[
                Evidence(
                    kind="photo",
                    file_id="AgAD-1",
                    file_unique_id="u1",
                    sha256="a" * 64,
                    size=1234,
                    mime_type="image/jpeg",
                    stored_path="1/5/A5.1/aaaa.jpg",
                )
            ],
        )
        s.add(report)
        await s.commit()
        report_id = report.id

    async with db.session() as s:
        loaded = await s.get(Report, report_id)
        assert loaded is not None
        await s.refresh(loaded, ["values", "evidence"])
        assert loaded.created_at == reported_at
        assert loaded.created_at.tzinfo is not None
        assert loaded.values[0].value == Decimal("92.5")
        assert loaded.evidence[0].sha256 == "a" * 64
        assert loaded.text == "秸秆综合利用已完成"
        dept = await s.get(Department, dept_id)
        assert dept is not None and dept.aliases == ["农业农村局"]


async def test_local_time_is_stored_as_utc(db: Database) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    async with db.session() as s:
        s.add(
            AuditLog(at=dt.datetime(2020, 1, 1, 9, 0, tzinfo=shanghai), action="x", detail={"k": 1})
        )
        await s.commit()
    async with db.session() as s:
        row = await s.scalar(select(AuditLog))
        assert row is not None
        assert row.at == dt.datetime(2020, 1, 1, 1, 0, tzinfo=dt.UTC)
        assert row.detail == {"k": 1}


async def test_naive_datetime_is_refused(db: Database) -> None:
    async with db.session() as s:
        s.add(AuditLog(at=dt.datetime(2020, 1, 1, 9, 0), action="x"))
        with pytest.raises(Exception, match="naive"):
            await s.commit()


@pytest.mark.parametrize(
    "make_duplicate",
    [
        lambda ids: [Binding(campaign_id=ids[0], department_id=ids[1], item_id=ids[2])],
        lambda ids: [User(tg_id=7_000_000_001)],
        lambda ids: [
            DigestSent(chat_id=-100, local_date=dt.date(2020, 5, 1)),
            DigestSent(chat_id=-100, local_date=dt.date(2020, 5, 1)),
        ],
        lambda ids: [Item(campaign_id=ids[0], code="A5.1", kind="x", title="", text="")],
    ],
    ids=["binding", "user", "digest-per-day", "item-code"],
)
async def test_uniqueness_the_domain_relies_on(db: Database, make_duplicate) -> None:  # type: ignore[no-untyped-def]
    ids = await _campaign(db)
    async with db.session() as s:
        s.add_all(make_duplicate(ids))
        with pytest.raises(IntegrityError):
            await s.commit()


async def test_invite_review_and_draft_rows(db: Database) -> None:
    _, dept_id, _, binding_id = await _campaign(db)
    now = dt.datetime.now(dt.UTC)
    async with db.session() as s:
        report = Report(binding_id=binding_id, status="done", text="")
        s.add(report)
        await s.flush()
        s.add_all(
            [
                Invite(code="abc", role="liaison", department_id=dept_id, expires_at=now),
                Review(report_id=report.id, decision="accepted", comment="好"),
                ConversationDraft(name="report", chat_id=1, user_id=1, state=2, data={"item": 5}),
            ]
        )
        await s.commit()
    async with db.session() as s:
        draft = await s.get(ConversationDraft, ("report", 1, 1))
        assert draft is not None and draft.data == {"item": 5} and draft.state == 2
        invite = await s.scalar(select(Invite).where(Invite.code == "abc"))
        assert invite is not None and invite.expires_at == now.replace(microsecond=now.microsecond)
