"""The command line as office staff use it: import (dry run, JSON, for real, twice, bad
files), and invite codes made without Telegram."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.assessment.campaigns import BUNDLED_DOCUMENT

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    full_env.update(
        PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}", **env
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def count(tmp_path: Path, table: str) -> int:
    path = tmp_path / "cli.sqlite3"
    if not path.exists():
        return 0
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = :t"), {"t": table}
        ).scalar()
        result = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() if exists else 0
    engine.dispose()
    return int(result or 0)


def test_dry_run_json_has_the_documents_shape(tmp_path: Path) -> None:
    result = run(["import", str(BUNDLED_DOCUMENT), "--dry-run", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["year"] == 2020
    assert [d["number"] for d in data["departments"]] == list(range(1, 18))
    assert sum(len(d["items"]) for d in data["departments"]) == 77
    items = {i["code"]: i for i in data["items"]}
    assert [c for c in items if c.startswith("G")] == [f"G{n}" for n in range(1, 9)]
    assert items["B1"]["kind"] == "b_class"
    assert items["A5.1"]["targets"] == [
        {"metric": "秸秆综合利用率", "op": ">=", "value": 90, "unit": "%"}
    ]
    assert len(items["A3.3"]["targets"]) == 2
    assert items["G1"]["targets"][0]["op"] == ">=" and items["G1"]["targets"][0]["value"] == 2
    assert items["A6.1"]["targets"] == []
    assert data["unplaced"] == []
    assert count(tmp_path, "campaign") == 0  # a dry run writes nothing


def test_dry_run_summary_is_readable(tmp_path: Path) -> None:
    result = run(["import", str(BUNDLED_DOCUMENT), "--dry-run"], tmp_path)
    assert result.returncode == 0
    assert "区农业农村局" in result.stdout and "秸秆综合利用率 ≥ 90%" in result.stdout


def test_import_then_again_creates_nothing_new(tmp_path: Path) -> None:
    first = run(["import", str(BUNDLED_DOCUMENT)], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    bindings = count(tmp_path, "binding")
    assert bindings == 17 * 8 + 77  # every A-class department: G1..G8 and its own items
    gbk = tmp_path / "annex3-gbk.txt"
    gbk.write_bytes(BUNDLED_DOCUMENT.read_text(encoding="utf-8").encode("gbk"))
    second = run(["import", str(gbk)], tmp_path)
    assert second.returncode == 0 and "already imported" in second.stdout
    assert count(tmp_path, "campaign") == 1 and count(tmp_path, "binding") == bindings


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", b""),
        ("junk.txt", bytes(range(256)) * 20),
        ("prose.txt", "今天天气很好，我们去公园散步。".encode()),
        ("plan.pdf", b"%PDF-1.4"),
    ],
)
def test_bad_files_get_one_line_and_write_nothing(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(["import", str(path)], tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert name in result.stderr
    assert count(tmp_path, "campaign") == 0


def test_invite_on_the_command_line(tmp_path: Path) -> None:
    assert run(["import", str(BUNDLED_DOCUMENT)], tmp_path).returncode == 0
    result = run(["invite", "农业"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "区农业农村局" in result.stdout
    code_line = next(line for line in result.stdout.splitlines() if line.startswith("/join "))
    assert len(code_line.split()[1]) == 10
    ambiguous = run(["invite", "城"], tmp_path)
    assert ambiguous.returncode != 0 and "区城管执法局" in ambiguous.stderr
    leader = run(["invite", "--leader"], tmp_path)
    assert leader.returncode == 0 and "leader" in leader.stdout
    assert count(tmp_path, "invite") == 2


def test_db_upgrade(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0
    assert count(tmp_path, "alembic_version") == 1
