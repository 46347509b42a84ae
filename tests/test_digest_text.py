"""The digest's text for a fixed day, compared in full, on SQLite and PostgreSQL; the same
text from `python -m bot digest --print`; a quiet day; splitting a long digest.

The fixture is a small campaign built row by row: three departments, six bindings,
reports before and within the window (2020-06-01 09:00 to 2020-06-02 09:00 Shanghai),
one done-and-accepted, one done awaiting review, values under their targets, a
department that never reported and items past their deadline.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import cli
from core.digest.data import (
    OFFICE_CHAT_KEY,
    Change,
    DepartmentFigures,
    DigestData,
    Overdue,
    Window,
)
from core.digest.messages import build_digest, digest_messages, to_plain
from core.status.day import Reading
from core.status.model import Rules
from core.text.i18n import translator
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Binding,
    Campaign,
    Department,
    DigestSent,
    Evidence,
    Item,
    Report,
    ReportValue,
    Target,
)

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
GROUP = -1001234567890
UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> dt.datetime:
    return dt.datetime(2020, month, day, hour, minute, tzinfo=UTC)


async def _report(
    session: object,
    binding: Binding,
    status: str,
    when: dt.datetime,
    *,
    values: dict[int, str] | None = None,
    evidence: int = 0,
    review: str = "none",
) -> None:
    report = Report(
        binding_id=binding.id,
        status=status,
        text="",
        review_state=review,
        created_at=when,
        values=[ReportValue(target_id=t, value=Decimal(v)) for t, v in (values or {}).items()],
        evidence=[
            Evidence(
                kind="photo",
                file_id=f"f{when.timestamp()}-{n}",
                file_unique_id=f"u{when.timestamp()}-{n}",
                sha256=f"{n:064d}",
                size=10,
                stored_path="x",
                created_at=when,
            )
            for n in range(evidence)
        ],
    )
    session.add(report)  # type: ignore[attr-defined]
    await session.flush()  # type: ignore[attr-defined]
    binding.status, binding.review_state = status, review
    binding.last_report_id, binding.last_reported_at = report.id, when
    binding.report_count += 1
    binding.evidence_count += evidence


async def build_fixture(db: Database, *, sent_yesterday: bool = True) -> None:
    async with db.session() as session:
        campaign = Campaign(
            year=2020,
            title="2020",
            source_name="t",
            fingerprint="f" * 64,
            active=True,
            created_at=at(1, 0, month=5),
        )
        session.add(campaign)
        await session.flush()
        names = ["区农业农村局", "区住房城乡建设局", "区商务局"]
        depts = [
            Department(campaign_id=campaign.id, number=n + 1, name=name, dept_class="A", aliases=[])
            for n, name in enumerate(names)
        ]
        session.add_all(depts)
        await session.flush()
        g1 = Item(
            campaign_id=campaign.id,
            code="G1",
            kind="general",
            title="专题研究部署生态环境保护工作",
            text="",
            targets=[Target(position=1, metric="专题研究次数", op=">=", value=2, unit="次")],
        )
        a11 = Item(
            campaign_id=campaign.id,
            code="A1.1",
            kind="department",
            department_id=depts[0].id,
            title="秸秆综合利用",
            text="",
            deadline=dt.date(2020, 12, 31),
            targets=[Target(position=1, metric="秸秆综合利用率", op=">=", value=90, unit="%")],
        )
        a21 = Item(
            campaign_id=campaign.id,
            code="A2.1",
            kind="department",
            department_id=depts[1].id,
            title="黑臭水体整治",
            text="",
            deadline=dt.date(2020, 5, 31),
            targets=[Target(position=1, metric="黑臭水体消除比例", op=">=", value=90, unit="%")],
        )
        a31 = Item(
            campaign_id=campaign.id,
            code="A3.1",
            kind="department",
            department_id=depts[2].id,
            title="餐饮油烟治理",
            text="",
            deadline=dt.date(2020, 5, 31),
        )
        session.add_all([g1, a11, a21, a31])
        await session.flush()
        pairs = [(d, g1) for d in depts] + [(depts[0], a11), (depts[1], a21), (depts[2], a31)]
        bindings = [
            # Bound when the campaign was made: a department's silence counts from the
            # later of its first binding and the campaign's start (issue 19, point 6).
            Binding(
                campaign_id=campaign.id,
                department_id=d.id,
                item_id=i.id,
                created_at=campaign.created_at,
            )
            for d, i in pairs
        ]
        session.add_all(bindings)
        await session.flush()
        farm_g1, housing_g1, _trade_g1, farm_a11, housing_a21, _trade_a31 = bindings
        g1_target, a11_target, a21_target = g1.targets[0].id, a11.targets[0].id, a21.targets[0].id

        # Before the window.
        await _report(session, farm_g1, "in_progress", at(10, 2, month=5), values={g1_target: "1"})
        await _report(
            session, housing_a21, "in_progress", at(20, 2, month=5), values={a21_target: "80"}
        )
        # Within it: 2020-06-01 01:00 UTC (09:00 local) to 2020-06-02 01:00 UTC.
        await _report(
            session, farm_a11, "in_progress", at(1, 3), values={a11_target: "85"}, evidence=2
        )
        await _report(
            session,
            farm_a11,
            "done",
            at(1, 6),
            values={a11_target: "92"},
            evidence=1,
            review="accepted",
        )
        await _report(session, farm_g1, "in_progress", at(1, 8), values={g1_target: "1"})
        await _report(session, housing_g1, "done", at(1, 9), review="pending")
        # After the window: must not show in the digest of 2020-06-02.
        await _report(session, housing_a21, "done", at(2, 5), review="pending")

        await repo.put_setting(session, OFFICE_CHAT_KEY, str(GROUP))
        if sent_yesterday:
            session.add(
                DigestSent(
                    chat_id=GROUP,
                    local_date=dt.date(2020, 6, 1),
                    claimed_by="x",
                    claimed_at=at(1, 1),
                    sent_at=at(1, 1, 1),
                    attempts=1,
                    summary={
                        "since": at(31, 1, month=5).isoformat(),
                        "until": at(1, 1).isoformat(),
                        "rate": 0.0,
                        "done": 0,
                        "total": 6,
                    },
                )
            )
        await session.commit()


EXPECTED = """\
📋 Daily digest 2020-06-02
Reports from 2020-06-01 09:00 to 2020-06-02 09:00

Reports since the last digest: 4, departments: 2
区农业农村局
• G1 专题研究部署生态环境保护工作: still in progress (reports: 1, evidence: 0)
• A1.1 秸秆综合利用: not started → done (reports: 2, evidence: 3)
区住房城乡建设局
• G1 专题研究部署生态环境保护工作: not started → done (reports: 1, evidence: 0)

Departments silent for 14 days or more: 1
• 区商务局: no report yet

Items past deadline and not done: 2
🔴 Newly past deadline: 2
• 区住房城乡建设局: A2.1 (deadline 2020-05-31)
• 区商务局: A3.1 (deadline 2020-05-31)

Values missing their targets: 2
• 区农业农村局 G1 专题研究次数: 1次 (target ≥ 2次) ✗ misses the target
• 区住房城乡建设局 A2.1 黑臭水体消除比例: 80% (target ≥ 90%) ✗ misses the target

Reports awaiting review: 1 (/review)

Overall completion: 16.7% (1/6)
+16.7 points since yesterday"""


async def test_the_digest_of_a_fixed_day_in_full(db: Database) -> None:
    await build_fixture(db)
    async with db.session() as session:
        built = await build_digest(
            session,
            chat_id=GROUP,
            local_date=dt.date(2020, 6, 2),
            reading=Reading(at(20, 0), RULES),  # weeks later: the day's digest is the same
            at=dt.time(9, 0),
            locale="en",
        )
    assert "\n\n".join(to_plain(t) for t in built.texts) == EXPECTED
    assert len(built.texts) == 1
    assert built.chart is not None and built.chart.startswith(b"\x89PNG")
    assert built.parts[0].photo is not None  # the chart comes first
    assert built.data.summary()["rate"] == pytest.approx(1 / 6, abs=1e-6)


def test_the_command_line_prints_the_same_text_and_writes_the_chart(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def setup() -> None:
        db = Database(sqlite_url)
        await build_fixture(db)
        await db.close()

    asyncio.run(setup())
    for name, value in {
        "DATABASE_URL": sqlite_url,
        "DEFAULT_LOCALE": "en",
        "TIMEZONE": "Asia/Shanghai",
        "DIGEST_TIME": "09:00",
        "SILENT_DAYS": "14",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    chart = tmp_path / "chart.png"
    code = cli.main(["digest", "--print", "--date", "2020-06-02", "--chart", str(chart)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out == EXPECTED + "\n"
    assert chart.read_bytes().startswith(b"\x89PNG") and chart.stat().st_size > 10_000

    # Printing is not sending: nothing was claimed for that day.
    async def rows() -> int:
        db = Database(sqlite_url)
        async with db.session() as session:
            found = await session.scalar(
                select(DigestSent.id).where(DigestSent.local_date == dt.date(2020, 6, 2))
            )
        await db.close()
        return 0 if found is None else 1

    assert asyncio.run(rows()) == 0

    with pytest.raises(SystemExit):
        cli.main(["digest", "--print", "--date", "2020-06-31"])
    assert "must be a date" in capsys.readouterr().err


async def test_a_day_with_nothing_new_is_one_short_message(db: Database) -> None:
    await build_fixture(db)
    async with db.session() as session:
        session.add(
            DigestSent(
                chat_id=GROUP,
                local_date=dt.date(2020, 6, 3),
                claimed_by="x",
                claimed_at=at(3, 1),
                sent_at=at(3, 1, 1),
                summary={
                    "since": at(2, 1).isoformat(),
                    "until": at(3, 1).isoformat(),
                    "rate": 1 / 6,
                },
            )
        )
        await session.commit()
        built = await build_digest(
            session,
            chat_id=GROUP,
            local_date=dt.date(2020, 6, 4),  # window 06-03 09:00 .. 06-04 09:00: no report
            reading=Reading(at(20, 0), RULES),
            at=dt.time(9, 0),
            locale="en",
        )
    assert [to_plain(t) for t in built.texts] == [
        "📋 Daily digest 2020-06-04: no new reports since 2020-06-03 09:00.\n"
        "Overall completion: 16.7% (1/6)\n"
        "unchanged since yesterday\n"
        "Items past deadline and not done: 2\n"
        # Never told before (no digest was delivered), so named even on a quiet day.
        "🔴 Newly past deadline: 2\n"
        "• 区住房城乡建设局: A2.1 (deadline 2020-05-31)\n"
        "• 区商务局: A3.1 (deadline 2020-05-31)"
    ]
    assert built.chart is None


def test_a_long_digest_is_split_at_section_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lists are capped (tests/test_digest_caps.py); lift the cap to test the splitting.
    import core.digest.messages

    monkeypatch.setattr(core.digest.messages, "SECTION_LINES", 10_000)
    names = {n: f"区第{n}测试部门" for n in range(60)}
    changes = tuple(
        Change(n % 60, f"C{n}", "一项很长的考核要点标题" * 3, "not_started", "in_progress", 1, 2)
        for n in range(300)
    )
    data = DigestData(
        local_date=dt.date(2020, 6, 2),
        window=Window(at(1, 1), at(2, 1)),
        silent_days=14,
        departments=tuple(DepartmentFigures(n, names[n], 1, 4, None) for n in range(60)),
        changes=changes,
        silent=tuple(DepartmentFigures(n, names[n], 1, 4, None) for n in range(60)),
        overdue=tuple(Overdue(n, f"A{n}.1", dt.date(2020, 5, 31)) for n in range(60)),
        names=names,
    )
    messages = digest_messages(data, translator("en"), TZ)
    assert len(messages) >= 4
    assert all(len(m.encode("utf-16-le")) // 2 <= 4096 for m in messages)
    # The list of changes is too long for one message: it is cut between lines, each
    # change line whole and exactly once.
    lines = [line for m in messages for line in m.split("\n")]
    for n in range(300):
        assert sum(line.startswith(f"• C{n} ") for line in lines) == 1
    # Sections that fit are never cut: the silent list is whole in one message, and the
    # overdue list and the rate too.
    for head, count in (("Departments silent", 60), ("Items past deadline", 60)):
        (holder,) = [m for m in messages if head in m]
        section = holder[holder.index(head) :].split("\n\n")[0]
        assert section.count("\n• ") == count
    assert "Overall completion: 25.0% (60/240)" in messages[-1]
