"""Upgrades keep live data (issue 10, part 8).

A database is made at migration 0001 (the schema of the first release) and filled the
way the bot of that release wrote it: a campaign, a liaison, reports with values,
evidence and a review, and a /report conversation left open half-way (the liaison chose
the item and the status, the bot asked for the text). Then it is upgraded to whatever
the head is today, and:

- every row written at 0001 is still there, with its values;
- the open /report draft is still resumable by the bot: started on the upgraded
  database, the bot takes the liaison's next answer where the conversation stood, and
  /done records the report.

The rows are written with SQL against the 0001 columns (not through today's models,
which may have grown columns a 0001 database does not have yet).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from storage.db import upgrade_database_async
from storage.models import UTCDateTime
from tests.conftest import IN_CI, POSTGRES_URL, _pg_admin
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import DubanRig

BASE_REVISION = "0001"
LIAISON = u.TgUser(id=650_001, first_name="农业联络员")
REVIEWER = u.TgUser(id=650_002, first_name="办公室")
T0 = dt.datetime(2020, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it yet (no tables), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
        return
    name = f"duban_upgrade_{uuid.uuid4().hex[:10]}"
    try:
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc!r}"
        if IN_CI:
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table(name: str, *columns: str, **typed: sa.types.TypeEngine[Any]) -> sa.TableClause:
    """A table as migration 0001 made it: the named columns, those in `typed` with a type."""
    return sa.table(
        name, *(sa.column(c) for c in columns), *(sa.column(c, t) for c, t in typed.items())
    )


UTC = UTCDateTime()
CAMPAIGN = table(
    "campaign", "id", "year", "title", "source_name", "fingerprint", "active", created_at=UTC
)
DEPARTMENT = table(
    "department", "id", "campaign_id", "number", "name", "dept_class", aliases=sa.JSON()
)
ITEM = table(
    "item", "id", "campaign_id", "code", "kind", "department_id", "position", "title", "text",
    "deadline", "evidence_required",
)  # fmt: skip
TARGET = table(
    "target", "id", "item_id", "position", "metric", "op", "unit", value=sa.Numeric(14, 4)
)
BINDING = table(
    "binding", "id", "campaign_id", "department_id", "item_id", "status", "review_state",
    "last_report_id", "report_count", "evidence_count", last_reported_at=UTC, created_at=UTC,
)  # fmt: skip
USER = table(
    "app_user", "id", "tg_id", "role", "department_id", "locale", "is_deputy", "display_name",
    created_at=UTC,
)  # fmt: skip
REPORT = table(
    "report", "id", "binding_id", "reporter_id", "status", "text", "source", "review_state",
    "source_chat_id", "source_message_id", created_at=UTC,
)  # fmt: skip
VALUE = table("report_value", "id", "report_id", "target_id", value=sa.Numeric(14, 4))
EVIDENCE = table(
    "evidence", "id", "report_id", "kind", "file_id", "file_unique_id", "sha256", "size",
    "mime_type", "file_name", "stored_path", "media_group_id", created_at=UTC,
)  # fmt: skip
REVIEW = table("review", "id", "report_id", "reviewer_id", "decision", "comment", created_at=UTC)
DRAFT = table(
    "conversation_draft", "name", "chat_id", "user_id", "state", data=sa.JSON(), updated_at=UTC
)


async def add(conn: AsyncConnection, into: sa.TableClause, **values: Any) -> int:
    result = await conn.execute(sa.insert(into).values(**values).returning(into.c.id))
    return int(result.scalar_one())


async def fill_as_of_0001(url: str, *, now: dt.datetime, evidence_dir: Path) -> dict[str, int]:
    """What the 0001 bot had written by the time it was upgraded; the ids of its rows."""
    engine = create_async_engine(url)
    ids: dict[str, int] = {}
    try:
        async with engine.begin() as conn:
            ids["campaign"] = await add(
                conn, CAMPAIGN, year=2020, title="2020年考核要点", source_name="annex3.txt",
                fingerprint="f" * 64, active=True, created_at=T0,
            )  # fmt: skip
            ids["department"] = await add(
                conn, DEPARTMENT, campaign_id=ids["campaign"], number=5, name="区农业农村局",
                dept_class="A", aliases=["农业农村局", "农业"],
            )  # fmt: skip
            for position, (code, title) in enumerate(
                [("A5.1", "秸秆综合利用"), ("A5.2", "畜禽粪污资源化利用")], start=1
            ):
                ids[code] = await add(
                    conn, ITEM, campaign_id=ids["campaign"], code=code, kind="department",
                    department_id=ids["department"], position=position, title=title,
                    text=f"{title}，按要求推进", deadline=None, evidence_required=False,
                )  # fmt: skip
                ids[f"binding {code}"] = await add(
                    conn, BINDING, campaign_id=ids["campaign"], department_id=ids["department"],
                    item_id=ids[code], status="not_started", review_state="none",
                    last_report_id=None, report_count=0, evidence_count=0,
                    last_reported_at=None, created_at=T0,
                )  # fmt: skip
            ids["target"] = await add(
                conn, TARGET, item_id=ids["A5.1"], position=0, metric="秸秆综合利用率", op=">=",
                unit="%", value=Decimal("90"),
            )  # fmt: skip
            ids["liaison"] = await add(
                conn, USER, tg_id=LIAISON.id, role="liaison", department_id=ids["department"],
                locale=None, is_deputy=False, display_name=LIAISON.first_name, created_at=T0,
            )  # fmt: skip
            ids["reviewer"] = await add(
                conn, USER, tg_id=REVIEWER.id, role="admin", department_id=None, locale=None,
                is_deputy=False, display_name=REVIEWER.first_name, created_at=T0,
            )  # fmt: skip
            # A5.1: a report marked done with a value and a photo, accepted by the office.
            reported_at = T0 + dt.timedelta(days=1)
            ids["report"] = await add(
                conn, REPORT, binding_id=ids["binding A5.1"], reporter_id=ids["liaison"],
                status="done", text="秸秆综合利用率已达92%", source="conversation",
                review_state="accepted", source_chat_id=LIAISON.id, source_message_id=41,
                created_at=reported_at,
            )  # fmt: skip
            await add(
                conn, VALUE, report_id=ids["report"], target_id=ids["target"], value=Decimal("92")
            )
            stored = "2020/06/photo-a51.jpg"
            (evidence_dir / stored).parent.mkdir(parents=True, exist_ok=True)
            (evidence_dir / stored).write_bytes(b"\xff\xd8 a photo")
            ids["evidence"] = await add(
                conn, EVIDENCE, report_id=ids["report"], kind="photo", file_id="AgAD-old-photo",
                file_unique_id="old-unique", sha256="a" * 64, size=10, mime_type="image/jpeg",
                file_name="", stored_path=stored, media_group_id=None, created_at=reported_at,
            )  # fmt: skip
            ids["review"] = await add(
                conn, REVIEW, report_id=ids["report"], reviewer_id=ids["reviewer"],
                decision="accepted", comment="材料齐全",
                created_at=reported_at + dt.timedelta(hours=3),
            )  # fmt: skip
            await conn.execute(
                sa.update(BINDING)
                .where(BINDING.c.id == ids["binding A5.1"])
                .values(
                    status="done", review_state="accepted", last_report_id=ids["report"],
                    last_reported_at=reported_at, report_count=1, evidence_count=1,
                )
            )  # fmt: skip
            # A5.2: /report half-way, as the 0001 bot left it after "what is the status now?"
            # was answered: the next question was the text (Step.TYPING_TEXT == 3).
            await conn.execute(
                sa.insert(DRAFT).values(
                    name="report", chat_id=LIAISON.id, user_id=LIAISON.id, state=3,
                    data={
                        "binding_id": ids["binding A5.2"], "code": "A5.2", "targets": [],
                        "values": {}, "evidence_required": False, "files": [],
                        "status": "in_progress", "target_index": 0,
                    },
                    updated_at=now - dt.timedelta(minutes=2),
                )
            )  # fmt: skip
    finally:
        await engine.dispose()
    return ids


async def rows(url: str, statement: sa.Executable) -> list[sa.Row[Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(statement)).all())
    finally:
        await engine.dispose()


async def test_upgrade_from_0001_keeps_data_and_the_open_report(
    empty_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    evidence_dir = tmp_path / "evidence"
    rig = DubanRig(fake_api, empty_url, evidence_dir, admin_ids=frozenset({REVIEWER.id}))
    await upgrade_database_async(empty_url, BASE_REVISION)
    ids = await fill_as_of_0001(empty_url, now=rig.clock(), evidence_dir=evidence_dir)

    await upgrade_database_async(empty_url)  # to whatever the head is now

    report = (await rows(empty_url, sa.select(REPORT).where(REPORT.c.id == ids["report"])))[0]
    assert (report.status, report.text, report.review_state, report.source_message_id) == (
        "done", "秸秆综合利用率已达92%", "accepted", 41,
    )  # fmt: skip
    (value,) = await rows(empty_url, sa.select(VALUE.c.value, VALUE.c.target_id))
    assert (Decimal(value.value), value.target_id) == (Decimal("92"), ids["target"])
    (evidence,) = await rows(empty_url, sa.select(EVIDENCE))
    assert (evidence.file_id, evidence.sha256, evidence.stored_path) == (
        "AgAD-old-photo", "a" * 64, "2020/06/photo-a51.jpg",
    )  # fmt: skip
    (review,) = await rows(empty_url, sa.select(REVIEW.c.decision, REVIEW.c.comment))
    assert tuple(review) == ("accepted", "材料齐全")
    binding = (
        await rows(empty_url, sa.select(BINDING).where(BINDING.c.id == ids["binding A5.1"]))
    )[0]
    assert (binding.status, binding.review_state, binding.report_count) == ("done", "accepted", 1)
    (draft,) = await rows(empty_url, sa.select(DRAFT.c.name, DRAFT.c.state, DRAFT.c.data))
    assert (draft.name, draft.state, draft.data["code"]) == ("report", 3, "A5.2")

    # The bot of today, on the upgraded database, resumes the liaison's /report.
    await rig.start()
    try:
        asked = await rig.ask(LIAISON, "畜禽粪污处理设施已完成验收")
        assert "/done" in asked.plain_text  # the next question: evidence, then /done
        recorded = await rig.ask(LIAISON, "/done")
        assert "已记录" in recorded.plain_text and "A5.2" in recorded.plain_text
        history = await rig.ask(LIAISON, "/history A5.1")
        assert "秸秆综合利用率已达92%" in history.plain_text
    finally:
        await rig.close()
    new = await rows(
        empty_url,
        sa.select(REPORT.c.text, REPORT.c.status).where(REPORT.c.binding_id == ids["binding A5.2"]),
    )
    assert [tuple(r) for r in new] == [("畜禽粪污处理设施已完成验收", "in_progress")]
    assert await rows(empty_url, sa.select(DRAFT.c.name)) == []
