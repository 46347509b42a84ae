"""Only a unit of work commits (issue 19, point 5).

Read statically over every module of bot/, core/, handlers/, runtime/ and storage/: a
`.commit()` is a unit of work's (the receiver is named `...unit`: `unit`, `turn.unit`,
`claim_unit`) or inside storage/unit.py itself; `.begin()` / `.begin_nested()` are
nowhere. Then, at run time, a real bot handling a join, a photo report and /items: every
`AsyncSession.commit` comes from `UnitOfWork.commit`.

The documented exceptions, each with its reason:
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support import updates as u
from tests.support.duban import DubanRig
from tests.test_office_review import PNG

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "core", "handlers", "runtime", "storage")
EXCEPTIONS = {
    # The unit of work itself.
    "storage/unit.py": "UnitOfWork.commit is the commit",
    # The scheduler's claims (digest once a day, reminders once a period) commit each
    # claim at once, before the send it guards, in a session from `Database.claims()`
    # (`core.scheduling.sql.SqlClaims`, the Protocols' implementation).
    "core/scheduling/sql.py": "a scheduler's claim is durable before its send",
    # Alembic's migration runner owns its transactions.
    "storage/migrations/env.py": "Alembic runs each migration in its own transaction",
}


def receiver_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def offending_calls() -> Iterator[str]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in EXCEPTIONS or "/migrations/versions/" in relative:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                name = node.func.attr
                if name in ("begin", "begin_nested") or (
                    name == "commit" and not receiver_name(node.func.value).endswith("unit")
                ):
                    yield f"{relative}:{node.lineno}: {ast.unparse(node)}"


def test_nothing_but_a_unit_of_work_commits_in_the_source() -> None:
    offending = list(offending_calls())
    assert not offending, "commit outside a unit of work:\n" + "\n".join(offending)


def test_the_scan_sees_a_stray_commit(tmp_path: Path) -> None:
    stray = "async def f(session):\n    await session.commit()\n    await engine.begin()\n"
    tree = ast.parse(stray)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    flagged = [
        c
        for c in calls
        if isinstance(c.func, ast.Attribute)
        and (
            c.func.attr == "begin"
            or (c.func.attr == "commit" and not receiver_name(c.func.value).endswith("unit"))
        )
    ]
    assert len(flagged) == 2


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Who called AsyncSession.commit: the calling function's file and name."""
    callers: list[str] = []
    original = AsyncSession.commit

    async def recording(self: AsyncSession, *args: Any, **kwargs: Any) -> None:
        frame = inspect.stack()[1]
        callers.append(f"{Path(frame.filename).relative_to(ROOT).as_posix()}:{frame.function}")
        await original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncSession, "commit", recording)
    yield callers


FARM = u.TgUser(id=650_001, first_name="农业联络员")


async def test_a_running_bot_commits_only_through_units(
    sqlite_rig: DubanRig, commits: list[str]
) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(PNG + b"commit-sites", mime_type="image/jpeg")
    recorded = await rig.send_and_wait(
        u.photo_message(FARM, ref, caption="#A5.1 推进中 现场照片"), FARM.id
    )
    assert "已记录" in recorded.plain_text
    items = await rig.ask(FARM, "/items")
    assert "A5.1" in items.plain_text
    await rig.api.wait_idle(timeout=10)
    allowed = {"storage/unit.py:commit", *(f"{path}:" for path in EXCEPTIONS)}
    # (The test's own set-up, tests/support, commits as it likes.)
    ours = [c for c in commits if c.startswith(tuple(f"{p}/" for p in PACKAGES))]
    assert ours, "the recorder saw no commit of the bot's"
    stray = [c for c in ours if not any(c.startswith(a) for a in allowed)]
    assert not stray, stray
