"""The daily digest end to end: the schedule, exactly once, retries.

The real bot polls the fake Bot API server; the bot's clock is the rig's. The JobQueue
runs on real time, so tests run the job's function (or `run_once` it) after moving the
clock. 09:00 in Asia/Shanghai is 01:00 UTC.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling import CHECK_INTERVAL, CHECK_JOB, DIGEST_JOB, MISFIRE_GRACE_SECONDS, digest_job
from core.scheduling.once import claim_digest
from core.scheduling.sql import SqlClaims
from core.scheduling.times import digest_due
from handlers.digest.delivery import Outcome, deliver_digest, deliver_due_digest
from storage.db import Database
from storage.models import DigestSent
from tests.digest_support import (
    DAY,
    FARM,
    GROUP,
    SHANGHAI,
    UTC,
    digest_rows,
    group_sends,
    services,
    set_group,
    settled_rows,
    some_reports,
    start_office_rig,
    utc,
    wait_digest,
)
from tests.support.botapi import FakeBotAPI
from tests.support.duban import DubanRig


@pytest.fixture
async def office(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    rig = await start_office_rig(fake_api, sqlite_url, tmp_path)
    try:
        yield rig
    finally:
        await rig.close()


@pytest.fixture
async def office_db(
    database_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> AsyncIterator[DubanRig]:
    """The same, on SQLite and on PostgreSQL."""
    rig = await start_office_rig(fake_api, database_url, tmp_path)
    try:
        yield rig
    finally:
        await rig.close()


# ---------------------------------------------------------------- the schedule


async def test_the_digest_is_due_at_0100_utc_not_at_0059(office: DubanRig) -> None:
    rig = office
    await set_group(rig)
    await some_reports(rig)
    svc = services(rig)
    rig.clock.set(utc(2, 0, 59))
    assert await deliver_due_digest(rig.app.bot, svc) is Outcome.NOT_DUE  # type: ignore[union-attr]
    assert await digest_rows(rig) == []

    rig.clock.set(utc(2, 1, 0))
    since = rig.api.mark()
    rig.app.job_queue.run_once(digest_job, 0)  # type: ignore[union-attr]
    photo, text = await wait_digest(rig, since)
    assert photo.plain_caption == "Completion rate by department, 2020-06-02"
    assert photo.files and photo.files[0].content.startswith(b"\x89PNG")  # type: ignore[union-attr]
    body = text.plain_text or ""
    assert body.startswith("📋 Daily digest 2020-06-02\nReports from 2020-06-01 09:00 to")
    assert "区农业农村局" in body and "A5.1" in body and "G1" in body
    assert FARM.first_name not in body and "进展顺利" not in body  # departments, not people
    (row,) = await settled_rows(rig)
    assert row.local_date == DAY and row.sent_at == utc(2, 1) and row.attempts == 1
    assert row.summary["parts_sent"] == 2 and row.summary["total"] > 200


async def test_the_jobs_follow_digest_time_timezone_and_daylight_saving(office: DubanRig) -> None:
    rig = office
    jobs = {job.name: job for job in rig.app.job_queue.jobs()}  # type: ignore[union-attr]
    daily = jobs[DIGEST_JOB]
    assert daily.next_t is not None
    assert daily.next_t.astimezone(SHANGHAI).time() == dt.time(9, 0)
    assert daily.next_t.astimezone(UTC).time() == dt.time(1, 0)
    assert daily.job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert jobs[CHECK_JOB].job.trigger.interval == CHECK_INTERVAL

    rig.overrides.update(digest_time="09:00", timezone="Europe/Berlin")
    await rig.restart()
    daily = next(j for j in rig.app.job_queue.jobs() if j.name == DIGEST_JOB)  # type: ignore[union-attr]
    berlin = ZoneInfo("Europe/Berlin")
    assert daily.next_t.astimezone(berlin).time() == dt.time(9, 0)  # type: ignore[union-attr]
    # Across the spring change (2020-03-29) the UTC moment moves from 08:00 to 07:00,
    # and back across the autumn one (2020-10-25).
    trigger = daily.job.trigger
    fire = [
        trigger.get_next_fire_time(None, dt.datetime(2020, m, d, 12, tzinfo=UTC)).astimezone(UTC)
        for m, d in ((3, 27), (3, 29), (10, 24), (10, 25))
    ]
    assert [f.isoformat() for f in fire] == [
        "2020-03-28T08:00:00+00:00",
        "2020-03-30T07:00:00+00:00",
        "2020-10-25T08:00:00+00:00",
        "2020-10-26T08:00:00+00:00",
    ]
    # The job's own check agrees with the scheduler on both sides of the change.
    at = dt.time(9, 0)
    assert digest_due(dt.datetime(2020, 3, 28, 7, 59, tzinfo=UTC), berlin, at) is None
    assert digest_due(dt.datetime(2020, 3, 28, 8, 0, tzinfo=UTC), berlin, at) == dt.date(
        2020, 3, 28
    )
    assert digest_due(dt.datetime(2020, 3, 30, 6, 59, tzinfo=UTC), berlin, at) is None
    assert digest_due(dt.datetime(2020, 3, 30, 7, 0, tzinfo=UTC), berlin, at) == dt.date(
        2020, 3, 30
    )

    rig.overrides.update(digest_time="07:30", timezone="Asia/Shanghai")
    await rig.restart()
    daily = next(j for j in rig.app.job_queue.jobs() if j.name == DIGEST_JOB)  # type: ignore[union-attr]
    assert daily.next_t.astimezone(UTC).time() == dt.time(23, 30)  # type: ignore[union-attr]


# ---------------------------------------------------------------- exactly once


async def test_a_digest_missed_while_down_is_sent_once_at_start(office_db: DubanRig) -> None:
    rig = office_db
    await set_group(rig)
    await some_reports(rig)
    since = rig.api.mark()
    await rig.restart()  # 08:30: not due yet
    await rig.api.assert_quiet(GROUP.id, seconds=0.5, since=since)

    rig.clock.set(utc(2, 1, 30))  # the bot was down at 09:00; it starts at 09:30
    await rig.restart()
    await wait_digest(rig, since)
    (row,) = await settled_rows(rig)
    assert row.sent_at == utc(2, 1, 30) and row.attempts == 1

    since = rig.api.mark()
    await rig.restart()  # after sending: never again
    await rig.api.assert_quiet(GROUP.id, seconds=1.0, since=since)
    assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.ALREADY  # type: ignore[union-attr]
    assert len([m for m in group_sends(rig) if m.method == "sendPhoto"]) == 1

    # The next day has nothing new: one short message, no chart.
    rig.clock.set(utc(3, 1, 5))
    since = rig.api.mark()
    assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT  # type: ignore[union-attr]
    quiet = await rig.api.wait_for(chat_id=GROUP.id, since=since)
    assert quiet.method == "sendMessage" and quiet.plain_text == (
        "📋 Daily digest 2020-06-03: no new reports since 2020-06-02 09:30.\n"
        "Overall completion: 0.0% (0/213)\n"
        "unchanged since yesterday"
    )
    await rig.api.assert_quiet(GROUP.id, seconds=0.3)


async def test_two_processes_race_and_exactly_one_sends(office_db: DubanRig) -> None:
    rig = office_db
    await set_group(rig)
    await some_reports(rig)
    rig.clock.set(utc(2, 1, 0))
    first = services(rig)
    other_db = Database(rig.database_url)
    second = dataclasses.replace(first, db=other_db, extra={})
    since = rig.api.mark()
    try:
        outcomes = await asyncio.gather(
            deliver_digest(rig.app.bot, first, GROUP.id, DAY, owner="host-a:1"),  # type: ignore[union-attr]
            deliver_digest(rig.app.bot, second, GROUP.id, DAY, owner="host-b:2"),  # type: ignore[union-attr]
            deliver_due_digest(rig.app.bot, second, owner="host-c:3"),  # type: ignore[union-attr]
        )
    finally:
        await other_db.close()
    assert sorted(outcomes) == [Outcome.ALREADY, Outcome.ALREADY, Outcome.SENT]
    await wait_digest(rig, since)
    await rig.api.assert_quiet(GROUP.id, seconds=0.5)
    sent = [m for m in group_sends(rig) if m.index >= since]
    assert [m.method for m in sent] == ["sendPhoto", "sendMessage"]
    (row,) = await digest_rows(rig)
    assert row.sent_at is not None and row.attempts == 1


async def test_a_failed_send_is_retried_and_recorded(office_db: DubanRig) -> None:
    rig = office_db
    await set_group(rig)
    await some_reports(rig)
    rig.clock.set(utc(2, 1, 0))
    rig.api.fail_next("sendPhoto", status=500)
    since = rig.api.mark()
    outcome = await deliver_digest(
        rig.app.bot,
        services(rig),
        GROUP.id,
        DAY,
        owner="me",
        delays=(0.2,),  # type: ignore[union-attr]
    )
    assert outcome is Outcome.SENT
    await wait_digest(rig, since)
    (row,) = await digest_rows(rig)
    assert row.attempts == 2 and row.sent_at is not None
    assert "Internal Server Error" in (row.last_error or "")
    assert [c.status for c in rig.api.calls_to("sendPhoto")] == [500, 200]


async def test_after_the_last_retry_the_claim_is_released_and_the_next_check_resumes(
    office: DubanRig,
) -> None:
    rig = office
    await set_group(rig)
    await some_reports(rig)
    rig.clock.set(utc(2, 1, 0))
    rig.api.fail_next("sendMessage", status=502, times=2)
    since = rig.api.mark()
    outcome = await deliver_digest(
        rig.app.bot,
        services(rig),
        GROUP.id,
        DAY,
        owner="me",
        delays=(0.1,),  # type: ignore[union-attr]
    )
    assert outcome is Outcome.FAILED
    (row,) = await digest_rows(rig)
    assert row.sent_at is None and row.claimed_by == "" and row.attempts == 2
    assert row.summary["parts_sent"] == 1  # the chart went out; the text did not
    assert "Bad Gateway" in (row.last_error or "")

    rig.clock.set(utc(2, 1, 10))  # the periodic check, ten minutes later
    assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT  # type: ignore[union-attr]
    sent = [m.method for m in group_sends(rig) if m.index >= since]
    assert sent == ["sendPhoto", "sendMessage"]  # the chart is not sent twice
    (row,) = await digest_rows(rig)
    assert row.sent_at == utc(2, 1, 10) and row.attempts == 3


async def test_an_abandoned_claim_is_taken_over_after_the_timeout(office: DubanRig) -> None:
    rig = office
    await set_group(rig)
    rig.clock.set(utc(2, 1, 20))
    async with rig.session() as session:
        session.add(
            DigestSent(chat_id=GROUP.id, local_date=DAY, claimed_by="dead:1", claimed_at=utc(2, 1))
        )
        session.add(
            DigestSent(
                chat_id=GROUP.id,
                local_date=DAY + dt.timedelta(days=1),
                claimed_by="busy:2",
                claimed_at=utc(3, 1, 15),
            )
        )
        await session.commit()
    async with rig.session() as session:  # a claim 5 minutes old is someone at work
        assert (
            await claim_digest(
                SqlClaims(session),
                GROUP.id,
                DAY + dt.timedelta(days=1),
                owner="me",
                now=utc(3, 1, 20),
            )
            is None
        )
    since = rig.api.mark()
    assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT  # type: ignore[union-attr]
    await rig.api.wait_for(chat_id=GROUP.id, since=since)
    rows = await digest_rows(rig)
    assert rows[0].claimed_by not in ("dead:1", "")
    assert rows[0].sent_at == utc(2, 1, 20)


async def test_no_digest_on_days_off_and_the_next_one_covers_them(office: DubanRig) -> None:
    """Like reminders, the scheduled digest follows working days (weekends, holidays by
    the Chinese calendar); the next one covers the days since the last and says so."""
    rig = office
    await set_group(rig)
    await some_reports(rig)
    bot = rig.app.bot  # type: ignore[union-attr]
    rig.clock.set(utc(5, 1, 0))  # Friday 2020-06-05, 09:00
    assert await deliver_due_digest(bot, services(rig)) is Outcome.SENT
    since = rig.api.mark()
    for day in (6, 7):  # the weekend
        rig.clock.set(utc(day, 1, 0))
        assert await deliver_due_digest(bot, services(rig)) is Outcome.NOT_DUE
    await rig.api.assert_quiet(GROUP.id, seconds=0.3, since=since)

    rig.clock.set(utc(8, 1, 0))  # Monday
    assert await deliver_due_digest(bot, services(rig)) is Outcome.SENT
    monday = await rig.api.wait_for(chat_id=GROUP.id, since=since)
    assert monday.plain_text == (
        "📋 Daily digest 2020-06-08: no new reports since 2020-06-05 09:00.\n"
        "Overall completion: 0.0% (0/213)\n"
        "unchanged since the last digest on 2020-06-05 (3 days ago)"
    )
    # The Dragon Boat Festival, Thursday 2020-06-25, is a public holiday: no digest.
    rig.clock.set(dt.datetime(2020, 6, 25, 1, 0, tzinfo=UTC))
    assert await deliver_due_digest(bot, services(rig)) is Outcome.NOT_DUE
    assert [r.local_date for r in await digest_rows(rig)] == [
        dt.date(2020, 6, 5),
        dt.date(2020, 6, 8),
    ]
