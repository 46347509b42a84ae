"""Several bot processes on one PostgreSQL database (issue 11): one receives, two handle.

Nothing is handled twice (every inbox row took one attempt, every "recorded" reply went
out once), nothing is lost (all reports are in), each chat's replies come in the order
its messages were sent, and both workers did part of the work.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import INBOX_HANDLED, InboxUpdate
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.test_crash import (
    LIAISONS,
    MARK,
    PNG,
    RECORDED,
    check_reports,
    say,
    seed,
    settle,
    start_bot,
    stop,
    told,
    until,
)

HANDLED = re.compile(r"handled inbox update (\d+)")
BURST = 36


async def test_two_workers_share_the_inbox_without_duplicates_or_reordering(
    fake_api: FakeBotAPI, postgres_url: str, tmp_path: Path
) -> None:
    await seed(postgres_url)
    # One chat at a time per worker, and a Bot API that takes 50 ms to answer getFile:
    # one worker alone would need well over its 1 s look at the inbox for the 36 photos,
    # so the other finds chats waiting (a fast worker taking all three chats at once
    # would leave the other nothing, which is no fault, but shows no sharing).
    fake_api.delay("getFile", 0.05, times=BURST)
    workers = [
        await start_bot(
            fake_api,
            postgres_url,
            tmp_path,
            args=("--role", "work"),
            name=f"worker{n}",
            settings={"INTAKE_CONCURRENCY": "1"},
        )
        for n in (1, 2)
    ]
    receiver = await start_bot(
        fake_api, postgres_url, tmp_path, args=("--role", "receive"), name="receiver"
    )
    sent_order: dict[int, list[int]] = {user.id: [] for user in LIAISONS}
    try:
        for n in range(BURST):
            user = list(LIAISONS)[n % 3]
            code = f"{LIAISONS[user][1]}.{1 + n % 4}"
            ref = fake_api.add_file(PNG + f"burst-{n}".encode(), mime_type="image/jpeg")
            fake_api.inject(u.photo_message(user, ref, caption=f"#{code} 推进中 burst-{n}"))
            sent_order[user.id].append(n)
        await until(lambda: set(told(fake_api)) == set(range(BURST)), timeout=180)
        await settle(fake_api)
    finally:
        for process in (receiver, *workers):
            await stop(process)

    assert all(count == 1 for count in told(fake_api).values()), told(fake_api)
    for user in LIAISONS:
        replies = [
            int(match.group(1))
            for m in fake_api.messages_to(user.id)
            if RECORDED in (m.plain_text or "") and (match := MARK.search(m.plain_text or ""))
        ]
        assert replies == sent_order[user.id], "a chat's updates were handled out of order"
    await check_reports(postgres_url, tmp_path / "evidence", BURST)

    db = Database(postgres_url)
    async with db.session() as session:
        rows = list(await session.scalars(select(InboxUpdate)))
    await db.close()
    assert len(rows) == BURST
    assert all(r.state == INBOX_HANDLED and r.attempts == 1 for r in rows)
    by_worker = [
        Counter(int(s) for s in HANDLED.findall((tmp_path / f"worker{n}.log").read_text()))
        for n in (1, 2)
    ]
    assert all(by_worker), "one worker did nothing"
    assert sum(by_worker, Counter()) == Counter(r.seq for r in rows)


async def test_a_conversation_goes_on_in_whichever_worker_takes_its_next_step(
    fake_api: FakeBotAPI, postgres_url: str, tmp_path: Path
) -> None:
    """Steps of one /report handled by two workers in turn: the second knows the state.

    Worker 2 is paused (SIGSTOP) while worker 1 takes the first steps, then the other
    way round: worker 2's memory never saw this conversation, only the database did.
    """
    await seed(postgres_url)
    one, two = [
        await start_bot(fake_api, postgres_url, tmp_path, args=("--role", "work"), name=f"w{n}")
        for n in (1, 2)
    ]
    receiver = await start_bot(
        fake_api, postgres_url, tmp_path, args=("--role", "receive"), name="receiver"
    )
    try:
        await say(fake_api, "/start", "/report")  # both workers are up before pausing one
        await asyncio.sleep(1.0)
        two.send_signal(signal.SIGSTOP)
        await say(fake_api, "/report A5.1", "目前进展状态")
        await say(fake_api, "推进中", "秸秆综合利用率")
        await asyncio.sleep(0.5)
        two.send_signal(signal.SIGCONT)
        one.send_signal(signal.SIGSTOP)
        await say(fake_api, "88%", "简要说明")
        await say(fake_api, "/skip", "/done")
        await say(fake_api, "/done", RECORDED)
        one.send_signal(signal.SIGCONT)
    finally:
        for process in (one, two):
            if process.returncode is None:
                process.send_signal(signal.SIGCONT)
        for process in (receiver, one, two):
            await stop(process)
    [report] = await check_reports(postgres_url, tmp_path / "evidence", 1, with_evidence=False)
    assert report.status == "in_progress"
    handled = [HANDLED.findall((tmp_path / f"w{n}.log").read_text()) for n in (1, 2)]
    assert len(handled[1]) >= 3, "worker 2 did not take the last steps"
