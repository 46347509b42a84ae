"""One commit per update, and nothing said before it (issue 10, part 3).

The use case's commit is the one place its changes become real: `/done` writes the
report and drops its draft together, and "recorded" goes out only after that commit.
Here the commit that ends the draft fails (as a full disk or a lost database connection
would make it fail): the liaison is not told "recorded", no report exists, the draft is
still there, and a second `/done` records the report exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from storage.models import ConversationDraft, Report
from tests.support import updates as u
from tests.support.duban import DubanRig

FARM = u.TgUser(id=660_001, first_name="农业联络员")


class CommitFails:
    """While armed, the commit that ends the liaison's /report draft fails.

    Were the report written in a commit of its own before that one (as it once was), it
    would be real by now: the liaison, told nothing, sends /done again, and the report
    is there twice.
    """

    def __init__(self) -> None:
        self.armed = False
        self.failed = 0

    def __call__(self, session: Session) -> None:
        # Inside the transaction, its own uncommitted changes are visible.
        drafts_left = session.scalar(
            select(func.count())
            .select_from(ConversationDraft)
            .where(ConversationDraft.user_id == FARM.id, ConversationDraft.name == "report")
        )
        if self.armed and drafts_left == 0:
            self.failed += 1
            raise RuntimeError("the database refused the commit (disk full)")


@pytest.fixture
def commit_fails() -> Iterator[CommitFails]:
    trap = CommitFails()
    event.listen(Session, "before_commit", trap)
    yield trap
    event.remove(Session, "before_commit", trap)


async def counts(rig: DubanRig) -> tuple[int, int]:
    async with rig.session() as session:
        reports = await session.scalar(select(func.count(Report.id)))
        drafts = await session.scalar(
            select(func.count())
            .select_from(ConversationDraft)
            .where(ConversationDraft.user_id == FARM.id)
        )
    return int(reports or 0), int(drafts or 0)


async def test_done_is_one_transaction_and_speaks_after_it(
    rig: DubanRig, commit_fails: CommitFails
) -> None:
    await rig.join(FARM, "农业")
    asked = await rig.ask(FARM, "/report A5.2")
    await rig.press(FARM, asked, "rp:s:in_progress")
    await rig.ask(FARM, "畜禽粪污资源化利用推进中")
    assert await counts(rig) == (0, 1)

    commit_fails.armed = True
    since = rig.api.mark()
    answer = await rig.ask(FARM, "/done")
    # The inbox tries a failing update INBOX_MAX_ATTEMPTS (3) times, then sets it aside.
    for _ in range(100):
        if commit_fails.failed >= 3:
            break
        await asyncio.sleep(0.1)
    assert commit_fails.failed == 3
    assert "已记录" not in answer.plain_text
    assert "出错" in answer.plain_text  # the error handler's apology, nothing else
    said = [m.plain_text for m in rig.api.sent[since:] if m.chat_id == FARM.id]
    assert not any("已记录" in text for text in said)
    assert await counts(rig) == (0, 1)  # neither the report nor the end of the draft

    commit_fails.armed = False
    recorded = await rig.ask(FARM, "/done")
    assert "已记录" in recorded.plain_text
    assert await counts(rig) == (1, 0)
