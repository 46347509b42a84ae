"""`python -m bot assess results` (in process): one line per department in rank order,
the JSON form's fields, and one line on stderr when there is no such campaign."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot import cli
from core.assessment.campaigns import create_campaign, load_file
from core.scoring.acts import add_adjustment, score_item
from core.scoring.sql import SqlScoring
from core.scoring.usecases import Actor, confirm_scheme
from storage.db import Database

DOCUMENT = Path(__file__).parent / "importer" / "fixtures" / "table-2021.docx"
OFFICE = Actor(900_001, dt.datetime(2022, 1, 5, 2, tzinfo=dt.UTC))


@pytest.fixture
def scored(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def prepare() -> None:
        db = Database(sqlite_url)
        try:
            async with db.session() as session:
                await create_campaign(session, load_file(DOCUMENT), source_name=DOCUMENT.name)
                store = SqlScoring(session)
                await confirm_scheme(store, store, OFFICE)
                # 区住房和城乡建设局: G1 5, G2 3, G3 2, A4.1 4 = 14 points, all scored.
                for code, points in (("G1", "5"), ("G2", "3"), ("G3", "1"), ("A4.1", "4")):
                    await score_item(
                        store,
                        store,
                        OFFICE,
                        department="住房",
                        code=code,
                        score=Decimal(points),
                        reason="资料不全",
                    )
                await add_adjustment(
                    store,
                    store,
                    OFFICE,
                    kind="bonus",
                    department="住房",
                    amount=Decimal("2.5"),
                    reason="示范",
                )
                await session.commit()
        finally:
            await db.close()

    asyncio.run(prepare())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.setattr(cli, "setup_logging", lambda *args, **kwargs: None)


def test_lines_and_json(scored: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["assess", "results"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # 13 of 14 -> 折算分 92.86, + 2.5 = 95.36: first of class A, every item of it scored
    # (no "provisional"), but its rank is provisional (*) while the others are not scored.
    assert lines[1] == "A 1*. 区住房和城乡建设局  95.36  优秀"
    assert lines[2].startswith("A 2*. ") and "(provisional, " in lines[2]
    assert cli.main(["assess", "results", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    housing = records[0]
    assert {k: housing[k] for k in ("department", "class", "score", "grade", "rank")} == {
        "department": "区住房和城乡建设局",
        "class": "A",
        "score": "95.36",
        "grade": "优秀",
        "rank": 1,
    }
    assert housing["veto"] == [] and housing["provisional"] is False
    assert (housing["total"], housing["converted"], housing["bonus"]) == ("13", "92.86", "2.5")


def test_no_such_campaign(scored: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["assess", "results", "--campaign", "99"]) == 1
    assert capsys.readouterr().err.strip() == "duban: there is no campaign 99"
