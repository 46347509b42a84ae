"""The architecture is checked by the build, not by review (issue 10, part 5).

`lint-imports` checks the contracts in pyproject.toml ([tool.importlinter]): the layers
bot -> handlers -> runtime -> core -> storage (so bot/ and handlers/ never import each
other in a circle), core/ without Telegram, handlers/ without SQLAlchemy. Ruff's banned-api
rule (TID251, core/ruff.toml and handlers/ruff.toml) says the same at the line that breaks
it. Both tools come with the dev extra; a missing tool fails here, it does not skip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def ruff_on(text: str, as_file: str) -> subprocess.CompletedProcess[str]:
    """ruff's TID251 check of `text` as if it were the file `as_file` (read from stdin)."""
    return subprocess.run(
        [tool("ruff"), "check", "--no-cache", "--select", "TID251", "--stdin-filename", as_file],
        cwd=ROOT,
        input=text,
        capture_output=True,
        text=True,
    )


def test_banned_imports_are_caught() -> None:
    """The bans are live: SQLAlchemy in a handler, telegram or handlers in core, bot in
    handlers each fail ruff."""
    cases = [
        ("handlers/reporting/probe.py", "from sqlalchemy import select", "`sqlalchemy` is banned"),
        ("handlers/probe.py", "from bot.app import build_application", "`bot` is banned"),
        ("core/reporting/probe.py", "import telegram", "`telegram` is banned"),
        ("core/probe.py", "from handlers.base import Turn", "`handlers` is banned"),
    ]
    for as_file, line, complaint in cases:
        result = ruff_on(f'"""Probe."""\n\n{line}\n', as_file)
        assert result.returncode == 1, (as_file, result.stdout)
        assert complaint in result.stdout, result.stdout


def test_no_banned_imports_today() -> None:
    result = subprocess.run(
        [tool("ruff"), "check", "--no-cache", "--select", "TID251", "handlers", "core"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
