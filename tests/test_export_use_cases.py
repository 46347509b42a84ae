"""The export's use cases on recording fakes of their Protocols (core/export/interfaces.py),
no database: the workbook a small campaign gives (sheets and rows, as the admin opens
it), streamed batch by batch; /export's start (recorded and audited once, refused while
the previous export runs); an interrupted run found at the next start and reported once;
the one-time download link's refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from core.export import runs
from core.export.gather import (
    BindingRow,
    CampaignInfo,
    DepartmentRow,
    EvidenceRow,
    ExportCounts,
    NoCampaign,
    ReportRow,
    export_source,
    read_whole,
)
from core.export.interfaces import ExportReader, ExportRunStore, KeptFile, RunInfo
from core.export.run import write_export
from core.export.sheets import SHEET_ITEMS, SHEET_OVERVIEW, SHEET_REPORTS
from core.scoring.records import ScoringSheets
from core.status.day import Reading
from core.status.model import Facts, Rules
from core.yearend.records import YearEndSheets
from storage.models import EXPORT_DONE, EXPORT_FAILED, EXPORT_INTERRUPTED, EXPORT_RUNNING

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
NOW = dt.datetime(2020, 6, 1, 2, 30, tzinfo=dt.UTC)  # 10:30 in Shanghai
CAMPAIGN = CampaignInfo(3, 2020, "生态环境目标责任考核", True)
FARM, DEV = "区农业农村局", "区发展改革局"


def binding(department: str, code: str, status: str, review: str = "none") -> BindingRow:
    return BindingRow(
        department=department,
        kind="department",
        code=code,
        text=f"{code} 的考核要点",
        deadline=dt.date(2020, 12, 31),
        targets="秸秆综合利用率 ≥ 90%",
        status=status,
        values="秸秆综合利用率 85%" if status != "not_started" else "",
        met=False if status != "not_started" else None,
        last_reported_at=NOW - dt.timedelta(days=1) if status != "not_started" else None,
        evidence_count=1,
        review_state=review,
        facts=Facts(status, review, dt.date(2020, 12, 31), 2020, None, NOW - dt.timedelta(days=30)),
    )


def report(report_id: int, department: str, code: str, text: str) -> ReportRow:
    return ReportRow(
        id=report_id,
        created_at=NOW - dt.timedelta(days=1, minutes=report_id),
        department=department,
        department_id=1 if department == FARM else 2,
        code=code,
        status="in_progress",
        values="秸秆综合利用率 85%",
        text=text,
        evidence_count=1,
        review_state="pending",
        review_comment="",
        reporter="农业联络员",
    )


def department(department_id: int, name: str, items: int, in_progress: int) -> DepartmentRow:
    return DepartmentRow(
        id=department_id,
        name=name,
        dept_class="区直",
        items=items,
        done=0,
        pending_review=0,
        in_progress=in_progress,
        not_started=items - in_progress,
        blocked=0,
        last_reported_at=NOW - dt.timedelta(days=1),
        first_bound_at=NOW - dt.timedelta(days=30),
    )


@dataclass
class RecordingReader:
    """A small campaign; every stream opened and every batch yielded is noted."""

    campaign_info: CampaignInfo | None = CAMPAIGN
    bindings_rows: list[BindingRow] = field(default_factory=list)
    report_rows: list[ReportRow] = field(default_factory=list)
    evidence_rows: list[EvidenceRow] = field(default_factory=list)
    asked: list[tuple[str, Any]] = field(default_factory=list)
    batches: dict[str, list[int]] = field(default_factory=dict)

    async def campaign(
        self, campaign_id: int | None = None, *, year: int | None = None
    ) -> CampaignInfo | None:
        self.asked.append(("campaign", (campaign_id, year)))
        found = self.campaign_info
        if found is None or (year is not None and found.year != year):
            return None
        return found

    async def departments(self, campaign: CampaignInfo) -> tuple[DepartmentRow, ...]:
        self.asked.append(("departments", campaign.id))
        return (department(1, FARM, 2, 1), department(2, DEV, 1, 1))

    async def counts(self, campaign_id: int) -> ExportCounts:
        return ExportCounts(len(self.bindings_rows), len(self.report_rows), len(self.evidence_rows))

    async def _stream(self, name: str, rows: list[Any], size: int) -> AsyncIterator[list[Any]]:
        self.asked.append((name, size))
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            self.batches.setdefault(name, []).append(len(batch))
            yield batch

    def bindings(self, campaign: CampaignInfo, batch_rows: int) -> AsyncIterator[list[BindingRow]]:
        return self._stream("bindings", self.bindings_rows, batch_rows)

    def reports(self, campaign: CampaignInfo, batch_rows: int) -> AsyncIterator[list[ReportRow]]:
        return self._stream("reports", self.report_rows, batch_rows)

    def evidence(self, campaign: CampaignInfo, batch_rows: int) -> AsyncIterator[list[EvidenceRow]]:
        return self._stream("evidence", self.evidence_rows, batch_rows)

    async def scoring(self, campaign_id: int) -> ScoringSheets | None:
        self.asked.append(("scoring", campaign_id))
        return None

    async def yearend(self, campaign_id: int) -> YearEndSheets | None:
        self.asked.append(("yearend", campaign_id))
        return None


def small_campaign() -> RecordingReader:
    reader = RecordingReader(
        bindings_rows=[
            binding(FARM, "A5.1", "in_progress"),
            binding(FARM, "A5.2", "not_started"),
            binding(DEV, "G2", "in_progress"),
        ],
        report_rows=[
            report(11, FARM, "A5.1", "秸秆还田 3 万亩"),
            report(12, DEV, "G2", "项目已开工"),
        ],
    )
    typed: ExportReader = reader  # the fake satisfies the Protocol (mypy checks)
    assert typed is reader
    return reader


async def test_a_small_campaign_gives_the_workbook_the_admin_opens(tmp_path: Path) -> None:
    reader = small_campaign()
    source = await export_source(reader, batch_rows=2)
    # Nothing of the large sheets is read before the workbook is written.
    assert [name for name, _ in reader.asked] == ["campaign", "departments", "scoring"]
    assert source.counts == ExportCounts(3, 2, 0)

    path = tmp_path / "export.xlsx"
    await write_export(source, path, Reading(NOW, RULES))

    # Streamed: the three bindings came in batches of two, then one.
    assert reader.batches["bindings"] == [2, 1]
    assert reader.batches["reports"] == [2]
    book = load_workbook(path, read_only=True)
    overview = [r for r in book[SHEET_OVERVIEW].iter_rows(values_only=True) if r[0] in (FARM, DEV)]
    assert [(r[0], r[2], r[5]) for r in overview] == [(FARM, 2, 1), (DEV, 1, 1)]
    items = [r for r in book[SHEET_ITEMS].iter_rows(values_only=True) if r[0] in (FARM, DEV)]
    assert [(r[0], r[2], r[6]) for r in items] == [
        (FARM, "A5.1", "推进中"),
        (FARM, "A5.2", "未开始"),
        (DEV, "G2", "推进中"),
    ]
    reported = [r for r in book[SHEET_REPORTS].iter_rows(values_only=True) if r[1] in (FARM, DEV)]
    assert [(r[1], r[2], r[5]) for r in reported] == [
        (FARM, "A5.1", "秸秆还田 3 万亩"),
        (DEV, "G2", "项目已开工"),
    ]


async def test_read_whole_holds_every_row_of_every_sheet() -> None:
    reader = small_campaign()
    data = await read_whole(await export_source(reader, batch_rows=1))
    assert [b.code for b in data.bindings] == ["A5.1", "A5.2", "G2"]
    assert [r.id for r in data.reports] == [11, 12]
    assert data.counts == ExportCounts(3, 2, 0)


async def test_no_campaign_of_that_year_is_refused_before_anything_is_read() -> None:
    reader = small_campaign()
    with pytest.raises(NoCampaign):
        await export_source(reader, year=2019)
    assert [name for name, _ in reader.asked] == ["campaign"]


# ---------------------------------------------------------------- runs


@dataclass
class Run:
    info: RunInfo
    heartbeat_at: dt.datetime
    rows_done: int = 0
    error: str | None = None
    file_path: str | None = None
    file_name: str = ""
    size: int = 0
    token_sha256: str | None = None
    token_expires_at: dt.datetime | None = None
    token_used_at: dt.datetime | None = None


@dataclass
class RecordingRuns:
    """Export runs in memory, as the database keeps them; every audit line noted."""

    rows: dict[int, Run] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    logged: list[tuple[str, dict[str, object], int]] = field(default_factory=list)
    # Runs another process claims first (its conditional update wins).
    claimed_elsewhere: set[int] = field(default_factory=set)

    def _set(self, run_id: int, **info: Any) -> None:
        run = self.rows[run_id]
        run.info = replace(run.info, **info)

    async def add_run(
        self,
        *,
        admin_tg_id: int,
        chat_id: int,
        message_id: int | None,
        campaign_id: int,
        locale: str,
        now: dt.datetime,
    ) -> int:
        run_id = len(self.rows) + 1
        info = RunInfo(
            run_id, admin_tg_id, chat_id, message_id, campaign_id, locale, EXPORT_RUNNING, now
        )
        self.rows[run_id] = Run(info, now)
        return run_id

    async def set_message(self, run_id: int, message_id: int) -> None:
        self._set(run_id, message_id=message_id)

    async def run(self, run_id: int) -> RunInfo | None:
        return self.rows[run_id].info if run_id in self.rows else None

    async def has_running(self, admin_tg_id: int, *, beat_after: dt.datetime) -> bool:
        return any(
            r.info.admin_tg_id == admin_tg_id
            and r.info.state == EXPORT_RUNNING
            and r.heartbeat_at > beat_after
            for r in self.rows.values()
        )

    async def beat(self, run_id: int, *, rows_done: int, rows_total: int, at: dt.datetime) -> None:
        run = self.rows[run_id]
        if run.info.state == EXPORT_RUNNING:
            run.heartbeat_at, run.rows_done = at, rows_done

    async def set_heartbeat(self, run_id: int, at: dt.datetime) -> None:
        if self.rows[run_id].info.state == EXPORT_RUNNING:
            self.rows[run_id].heartbeat_at = at

    async def finish(
        self,
        run_id: int,
        *,
        state: str,
        now: dt.datetime,
        error: str | None,
        size: int,
        file_name: str,
    ) -> None:
        self._set(run_id, state=state)
        run = self.rows[run_id]
        run.error, run.size, run.file_name = error, size, file_name

    async def stale_runs(self, *, beat_before: dt.datetime) -> list[RunInfo]:
        return [
            r.info
            for r in self.rows.values()
            if r.info.state == EXPORT_RUNNING and r.heartbeat_at < beat_before
        ]

    async def mark_interrupted(self, run_id: int, now: dt.datetime) -> bool:
        if run_id in self.claimed_elsewhere:
            self._set(run_id, state=EXPORT_INTERRUPTED)
            return False
        if self.rows[run_id].info.state != EXPORT_RUNNING:
            return False
        self._set(run_id, state=EXPORT_INTERRUPTED)
        return True

    async def keep_file(
        self,
        run_id: int,
        *,
        path: str,
        file_name: str,
        size: int,
        token_sha256: str,
        expires_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        self._set(run_id, state=EXPORT_DONE)
        run = self.rows[run_id]
        run.file_path, run.file_name, run.size = path, file_name, size
        run.token_sha256, run.token_expires_at = token_sha256, expires_at

    async def kept_file(self, run_id: int) -> KeptFile | None:
        run = self.rows.get(run_id)
        if run is None or run.token_expires_at is None:
            return None
        return KeptFile(
            run_id,
            run.info.admin_tg_id,
            run.file_path,
            run.file_name,
            run.size,
            run.token_expires_at,
            run.token_used_at,
        )

    async def role_of(self, tg_id: int) -> str | None:
        return self.roles.get(tg_id)

    async def spend(self, run_id: int, now: dt.datetime) -> bool:
        run = self.rows[run_id]
        if run.token_used_at is not None:
            return False
        run.token_used_at = now
        return True

    async def forget_files(self, run_ids: list[int]) -> None:
        for run_id in run_ids:
            self.rows[run_id].file_path = None

    async def files_to_delete(self, now: dt.datetime) -> list[tuple[int, str]]:
        return [
            (run_id, r.file_path)
            for run_id, r in self.rows.items()
            if r.file_path is not None
            and (
                (r.token_expires_at is not None and r.token_expires_at <= now)
                or r.token_used_at is not None
            )
        ]

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.logged.append((action, detail, actor_tg_id))


def run_store() -> RecordingRuns:
    store = RecordingRuns(roles={900: "admin"})
    typed: ExportRunStore = store  # the fake satisfies the Protocol (mypy checks)
    assert typed is store
    return store


async def start(store: RecordingRuns, now: dt.datetime = NOW, **kw: Any) -> runs.Started:
    return await runs.start_export(
        small_campaign(), store, admin_tg_id=900, chat_id=900, locale="zh", now=now, **kw
    )


async def test_export_start_records_a_running_run_and_audits_it_once() -> None:
    store = run_store()
    started = await start(store)
    assert started.label == "2020 生态环境目标责任考核"
    run = store.rows[started.run_id]
    assert (run.info.state, run.info.campaign_id, run.info.chat_id) == (EXPORT_RUNNING, 3, 900)
    assert store.logged == [("export", {"campaign_id": 3, "run_id": started.run_id}, 900)]


async def test_a_second_export_while_the_first_runs_is_refused_and_writes_nothing() -> None:
    store = run_store()
    await start(store)
    with pytest.raises(runs.AlreadyRunning):
        await start(store, NOW + dt.timedelta(minutes=1))
    assert len(store.rows) == 1 and len(store.logged) == 1
    # Once the first run's heartbeat is stale (its process died), a new one may start.
    later = await start(store, NOW + runs.STALE_AFTER + dt.timedelta(seconds=1))
    assert later.run_id == 2


async def test_export_of_a_year_without_campaign_writes_nothing() -> None:
    store = run_store()
    with pytest.raises(NoCampaign):
        await start(store, year=2019)
    assert store.rows == {} and store.logged == []


async def test_an_interrupted_run_is_reported_once_at_the_next_start() -> None:
    store = run_store()
    dead = (await start(store)).run_id
    # The process of run 1 died; run 2 (another admin's) beats on.
    alive = await store.add_run(
        admin_tg_id=901, chat_id=901, message_id=None, campaign_id=3, locale="en", now=NOW
    )
    later = NOW + runs.STALE_AFTER + dt.timedelta(minutes=1)
    await runs.beat(store, alive, rows_done=10, rows_total=20, now=later - dt.timedelta(seconds=5))

    claimed = await runs.claim_interrupted(store, later)
    assert [r.id for r in claimed] == [dead]
    assert store.rows[dead].info.state == EXPORT_INTERRUPTED
    assert store.rows[alive].info.state == EXPORT_RUNNING
    # The next start (or another process) finds nothing more to report.
    assert await runs.claim_interrupted(store, later) == []


async def test_a_run_another_process_claimed_is_not_reported_twice() -> None:
    store = run_store()
    first = (await start(store)).run_id
    store.claimed_elsewhere.add(first)
    assert await runs.claim_interrupted(store, NOW + dt.timedelta(hours=1)) == []


async def test_a_run_stopped_at_shutdown_is_reported_at_the_next_start() -> None:
    store = run_store()
    run_id = (await start(store)).run_id
    # A shutdown a second later: no need to wait STALE_AFTER at the next start.
    await runs.release_at_shutdown(store, run_id, NOW + dt.timedelta(seconds=1))
    claimed = await runs.claim_interrupted(store, NOW + dt.timedelta(seconds=2))
    assert [r.id for r in claimed] == [run_id]


async def test_a_failed_run_is_no_longer_running() -> None:
    store = run_store()
    run_id = (await start(store)).run_id
    await runs.finish_run(store, run_id, now=NOW, failed="OSError")
    assert (store.rows[run_id].info.state, store.rows[run_id].error) == (EXPORT_FAILED, "OSError")
    assert not await store.has_running(900, beat_after=NOW - runs.STALE_AFTER)


async def test_the_download_link_opens_once_for_its_admin_only(tmp_path: Path) -> None:
    store = run_store()
    store.roles[901] = "admin"
    run_id = (await start(store)).run_id
    kept = tmp_path / "export-1.xlsx"
    kept.write_bytes(b"PK workbook")
    expires = await runs.offer_download(
        store,
        run_id,
        path=kept,
        file_name="考核汇总.xlsx",
        size=11,
        now=NOW,
        valid_for=dt.timedelta(hours=24),
    )
    assert expires == NOW + dt.timedelta(hours=24)
    assert store.rows[run_id].token_sha256 is not None

    async def refusal(tg_id: int, now: dt.datetime, admins: frozenset[int] = frozenset()) -> str:
        with pytest.raises(runs.DownloadRefused) as refused:
            await runs.check_download(store, run_id, tg_id=tg_id, admin_ids=admins, now=now)
        return refused.value.reason

    assert await refusal(901, NOW) == "forbidden"  # another admin
    assert await refusal(900, expires) == "expired"
    download = await runs.check_download(store, run_id, tg_id=900, admin_ids=frozenset(), now=NOW)
    assert (download.path, download.file_name, download.size) == (kept, "考核汇总.xlsx", 11)

    assert await runs.spend_download(store, run_id, NOW) is True
    assert await runs.spend_download(store, run_id, NOW) is False  # a second GET
    assert await refusal(900, NOW) == "used"
    # The used link's file is deleted at the next clean-up, and its path forgotten.
    assert await runs.expired_files(store, NOW) == [kept]
    assert store.rows[run_id].file_path is None
    assert await runs.expired_files(store, NOW) == []


async def test_the_link_of_an_admin_no_longer_admin_is_refused(tmp_path: Path) -> None:
    store = run_store()
    run_id = (await start(store)).run_id
    kept = tmp_path / "export-1.xlsx"
    kept.write_bytes(b"PK")
    await runs.offer_download(
        store, run_id, path=kept, file_name="x.xlsx", size=2, now=NOW, valid_for=dt.timedelta(1)
    )
    store.roles[900] = "leader"
    with pytest.raises(runs.DownloadRefused) as refused:
        await runs.check_download(store, run_id, tg_id=900, admin_ids=frozenset(), now=NOW)
    assert refused.value.reason == "forbidden"
    # An admin by ADMIN_IDS stays one whatever the stored role.
    found = await runs.check_download(store, run_id, tg_id=900, admin_ids=frozenset({900}), now=NOW)
    assert found.path == kept
    kept.unlink()
    with pytest.raises(runs.DownloadRefused) as gone:
        await runs.check_download(store, run_id, tg_id=900, admin_ids=frozenset({900}), now=NOW)
    assert gone.value.reason == "gone"
    with pytest.raises(runs.DownloadRefused) as unknown:
        await runs.check_download(store, 99, tg_id=900, admin_ids=frozenset({900}), now=NOW)
    assert unknown.value.reason == "unknown"
