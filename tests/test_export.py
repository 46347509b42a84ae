"""/export over the bot: the .xlsx document the admin receives, opened with openpyxl and
checked cell by cell against reports made in the test (values that miss targets,
evidence in the store, an accepted review, a report awaiting review).

`seed` is shared with the command-line export tests (tests/test_export_cli.py)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from core.export.gather import CampaignInfo, ExportData, ReportRow
from core.export.sheets import write_workbook
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import NewEvidence, record_report
from core.status.day import Reading
from core.status.model import Rules
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    REVIEW_ACCEPTED,
    ROLE_LIAISON,
    Binding,
    Department,
    Evidence,
    Item,
    Report,
    Review,
    Target,
)
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=640_001, first_name="农业联络员")
DEV = u.TgUser(id=640_002, first_name="发改联络员")
T0 = dt.datetime(2020, 6, 1, 2, 30, tzinfo=dt.UTC)  # 10:30 in Asia/Shanghai
PDF = b"%PDF-1.4\n% evidence ledger\n"
PHOTO = bytes.fromhex("89504e470d0a1a0a") + b"a photo of the fields"
EVIL = b"%PDF-1.4\n% a file with a hostile name\n"


@dataclass
class Seeded:
    reports: dict[str, int] = field(default_factory=dict)
    # report label -> [(stored path, sha256)]
    evidence: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _piece(store: EvidenceStore, content: bytes, kind: str, name: str, unique: str) -> NewEvidence:
    mime, ext = ("image/png", "png") if kind == "photo" else ("application/pdf", "pdf")
    return NewEvidence(
        kind=kind,
        file_id=f"file-{unique}",
        file_unique_id=unique,
        mime_type=mime,
        file_name=name,
        media_group_id=None,
        staged=store.stage(content, ext),
    )


async def seed(db: Database, store: EvidenceStore) -> Seeded:
    """Reports of 区农业农村局 and 区发展改革局 in the active campaign:

    A5.1 in progress, 85% (misses >= 90%), a PDF and a photo;
    A5.3 done and accepted, 80% (meets 75%) and 90% (misses 95%), the same photo again;
    G1   done, awaiting review, 3 (meets >= 2);
    A5.2 blocked;
    区发展改革局 G2 in progress with a PDF named "../../evil.pdf".
    """
    async with db.session() as session:
        campaign = await repo.active_campaign(session)
        assert campaign is not None
        departments = {d.name: d for d in await repo.departments(session, campaign.id)}
        for user, name in ((FARM, "区农业农村局"), (DEV, "区发展改革局")):
            row = await repo.get_or_create_user(session, user.id, user.first_name)
            row.role, row.department_id = ROLE_LIAISON, departments[name].id
        await session.commit()
        bindings = {
            (name, code): binding_id
            for binding_id, name, code in await session.execute(
                select(Binding.id, Department.name, Item.code)
                .join(Department, Department.id == Binding.department_id)
                .join(Item, Item.id == Binding.item_id)
                .where(Binding.campaign_id == campaign.id)
            )
        }
        targets = {
            (code, position): target_id
            for target_id, code, position in await session.execute(
                select(Target.id, Item.code, Target.position)
                .join(Item, Item.id == Target.item_id)
                .where(Item.campaign_id == campaign.id)
            )
        }

    seeded = Seeded()
    plan = [
        ("a51", FARM, "区农业农村局", "A5.1", "in_progress", {("A5.1", 0): "85"}, "秸秆禁烧巡查",
         [("document", PDF, "台账.pdf"), ("photo", PHOTO, "")]),
        ("a53", FARM, "区农业农村局", "A5.3", "done", {("A5.3", 0): "80", ("A5.3", 1): "90"},
         "设施配套完成", [("photo", PHOTO, "")]),
        ("g1", FARM, "区农业农村局", "G1", "done", {("G1", 0): "3"}, "已召开专题会议3次", []),
        ("a52", FARM, "区农业农村局", "A5.2", "blocked", {}, "资金未到位", []),
        ("g2", DEV, "区发展改革局", "G2", "in_progress", {}, "建立台账",
         [("document", EVIL, "../../evil.pdf")]),
    ]  # fmt: skip
    for step, (label, user, department, code, status, values, text, files) in enumerate(plan):
        async with db.session() as session:
            binding_id = bindings[(department, code)]
            binding = await session.get(Binding, binding_id)
            assert binding is not None
            recorded = await record_report(
                session,
                store,
                reporter_tg_id=user.id,
                department_id=binding.department_id,
                binding_id=binding_id,
                status=status,
                values={targets[key]: Decimal(value) for key, value in values.items()},
                text=text,
                evidence=[
                    _piece(store, content, kind, name, f"{label}-{n}")
                    for n, (kind, content, name) in enumerate(files)
                ],
                source="test",
                now=T0 + dt.timedelta(hours=step),
            )
            await session.commit()
            seeded.reports[label] = recorded.report_id
    async with db.session() as session:
        # The office accepts A5.3 (as /review does: the review, the report, the binding).
        report = await session.get(Report, seeded.reports["a53"])
        assert report is not None
        session.add(
            Review(
                report_id=report.id,
                decision=REVIEW_ACCEPTED,
                comment="材料齐全",
                created_at=T0 + dt.timedelta(days=1),
            )
        )
        report.review_state = REVIEW_ACCEPTED
        binding = await session.get(Binding, report.binding_id)
        assert binding is not None
        binding.review_state = REVIEW_ACCEPTED
        await session.commit()
        for label, report_id in seeded.reports.items():
            seeded.evidence[label] = [
                (e.stored_path, e.sha256)
                for e in await session.scalars(
                    select(Evidence).where(Evidence.report_id == report_id).order_by(Evidence.id)
                )
            ]
    return seeded


def rows(sheet: Worksheet) -> list[dict[str, object]]:
    """Data rows as {header: value}; row 1 is the title, row 2 the headers."""
    table = list(sheet.iter_rows(values_only=True))
    headers = table[1]
    return [dict(zip(headers, row, strict=True)) for row in table[2:]]


def check_workbook(data: bytes, seeded: Seeded) -> None:
    """What the office reads in the workbook, against what the test reported."""
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames[:4] == ["总览", "考核事项", "汇报记录", "佐证材料"]

    overview = workbook["总览"]
    assert overview.freeze_panes == "A3"
    assert overview.auto_filter.ref is not None and overview.auto_filter.ref.startswith("A2:")
    assert overview.column_dimensions["A"].width >= 20
    departments = {row["单位"]: row for row in rows(overview)}
    farm = departments["区农业农村局"]
    assert (
        farm["事项数"],
        farm["已完成（审核通过）"],
        farm["待审核"],
        farm["推进中"],
        farm["未开始"],
        farm["有困难"],
    ) == (15, 1, 1, 1, 11, 1)
    assert abs(float(farm["完成率"]) - 1 / 15) < 1e-9  # type: ignore[arg-type]
    assert farm["最近汇报日期"] == dt.datetime(2020, 6, 1, 13, 30)  # A5.2, local time
    assert departments["区发展改革局"]["推进中"] == 1
    total = departments["合计"]
    assert total["事项数"] == 17 * 8 + 77 and total["已完成（审核通过）"] == 1
    assert total["推进中"] == 2 and total["待审核"] == 1

    items = {(r["单位"], r["编号"]): r for r in rows(workbook["考核事项"])}
    assert len(items) == 17 * 8 + 77
    a51 = items[("区农业农村局", "A5.1")]
    assert a51["状态"] == "推进中" and a51["是否达标"] == "否"
    assert a51["最新数值"] == "秸秆综合利用率 85%"
    assert a51["量化指标"] == "秸秆综合利用率 ≥ 90%"
    assert str(a51["考核要点"]).startswith("全面禁止露天焚烧秸秆")
    assert a51["佐证材料数"] == 2 and a51["审核状态"] == "—"
    assert a51["最近汇报日期"] == dt.datetime(2020, 6, 1, 10, 30)
    a53 = items[("区农业农村局", "A5.3")]
    assert a53["状态"] == "已完成" and a53["审核状态"] == "已通过" and a53["是否达标"] == "否"
    g1 = items[("区农业农村局", "G1")]
    assert g1["状态"] == "待审核" and g1["是否达标"] == "是" and g1["类别"] == "通用"
    assert items[("区农业农村局", "A5.2")]["状态"] == "有困难"
    assert items[("区农业农村局", "A5.2")]["完成时限"] == dt.datetime(2020, 12, 31)
    assert items[("区农业农村局", "A5.4")]["状态"] == "未开始"
    assert items[("区农业农村局", "A5.4")]["是否达标"] == "—"

    reports = rows(workbook["汇报记录"])
    assert [r["编号"] for r in reports] == ["A5.1", "A5.3", "G1", "A5.2", "G2"]
    first = reports[0]
    assert first["时间"] == dt.datetime(2020, 6, 1, 10, 30)
    assert first["单位"] == "区农业农村局" and first["状态"] == "推进中"
    assert first["数值"] == "秸秆综合利用率 85%" and first["内容"] == "秸秆禁烧巡查"
    assert first["佐证数"] == 2 and first["汇报人"] == "农业联络员"
    assert reports[1]["审核"] == "已通过" and reports[1]["审核意见"] == "材料齐全"
    values = "畜禽养殖粪便污水综合利用率 80%；规模养殖场粪便污水处理设施配套率 90%"
    assert reports[1]["数值"] == values
    assert reports[2]["审核"] == "待审核" and reports[2]["状态"] == "已完成"
    assert reports[4]["汇报人"] == "发改联络员"

    evidence = rows(workbook["佐证材料"])
    assert [(r["汇报编号"], r["编号"]) for r in evidence] == [
        (seeded.reports["a51"], "A5.1"),
        (seeded.reports["a51"], "A5.1"),
        (seeded.reports["a53"], "A5.3"),
        (seeded.reports["g2"], "G2"),
    ]
    expected = [pair for label in ("a51", "a53", "g2") for pair in seeded.evidence[label]]
    assert [(r["存储路径"], r["sha256"]) for r in evidence] == expected
    assert evidence[0]["文件名"] == "台账.pdf" and evidence[0]["大小（字节）"] == len(PDF)
    assert evidence[0]["是否重复使用"] == "否"
    assert evidence[2]["是否重复使用"] == f"是（首次见汇报 {seeded.reports['a51']}）"


async def test_export_sends_the_workbook(rig: DubanRig) -> None:
    seeded = await seed(rig.database(), EvidenceStore(rig.evidence_dir))
    await rig.ask(ADMIN, "/lang en")
    since = rig.api.mark()
    rig.inject(u.command(ADMIN, "/export"))
    sent = await rig.api.wait_for(chat_id=ADMIN.id, method="sendDocument", since=since, timeout=20)
    assert sent.plain_caption is not None
    assert sent.plain_caption.endswith(
        f"17 departments, {17 * 8 + 77} items bound, 5 reports, 4 evidence files."
    )
    document = sent.files[0]
    assert document.file_name is not None and document.file_name.endswith(".xlsx")
    assert document.file_name.startswith("考核汇总-2020-")
    check_workbook(document.content or b"", seeded)


async def test_export_refusals(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    reply = await rig.ask(ADMIN, "/export 2031")
    assert reply.plain_text == "There is no campaign of 2031. Usage: /export, or /export YEAR."
    farm = u.TgUser(id=640_009, first_name="联络员")
    await rig.join(farm, "农业")
    await rig.ask(farm, "/lang en")
    assert "not available to you" in (await rig.ask(farm, "/export")).plain_text
    assert not rig.api.calls_to("sendDocument")


def test_typed_text_is_never_a_formula_nor_broken_xml(tmp_path: Path) -> None:
    """A liaison's text starting with "=" stays text; control characters are dropped."""
    hostile = '=HYPERLINK("http://example.invalid","点我")\x0b第二行'
    data = ExportData(
        campaign=CampaignInfo(1, 2020, "考核", True),
        departments=(),
        bindings=(),
        reports=(
            ReportRow(1, T0, "=区某局", 1, "G1", "in_progress", "", hostile, 0, "none", "", "@x"),
        ),
        evidence=(),
    )
    path = tmp_path / "x.xlsx"
    write_workbook(data, path, Reading(T0, Rules(ZoneInfo("Asia/Shanghai"), 7, 14)))
    sheet = load_workbook(path)["汇报记录"]
    content, department = sheet["F3"], sheet["B3"]
    assert content.value == '=HYPERLINK("http://example.invalid","点我")第二行'
    assert content.data_type == "s" and department.data_type == "s"
    assert department.value == "=区某局"
