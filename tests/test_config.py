"""Configuration: defaults, parsing, and one clear line naming a bad variable."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "DIGEST_", "TIMEZONE", "LOG_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    settings = load_settings()
    assert settings.token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.digest_time == dt.time(9, 0)
    assert settings.default_locale == "zh"
    assert settings.admin_ids == frozenset()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("data/duban.sqlite3")


def test_values_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "11, 22,33")
    monkeypatch.setenv("DIGEST_TIME", "8:30")
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DEFAULT_LOCALE", "EN")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.admin_ids == {11, 22, 33}
    assert settings.digest_time == dt.time(8, 30)
    assert str(settings.tz) == "Europe/Berlin"
    assert settings.default_locale == "en"
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1/test"


def test_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=5\n", encoding="utf-8")
    settings = load_settings()
    assert settings.token == TOKEN and settings.admin_ids == {5}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("DIGEST_TIME", "25:00"),
        ("DIGEST_TIME", "nine"),
        ("ADMIN_IDS", "12,abc"),
        ("DEFAULT_LOCALE", "fr"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
        ("DATABASE_URL", "mysql://x"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert name in message and "\n" not in message
    if name == "TELEGRAM_BOT_TOKEN":
        assert value not in message


def _run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_bad_setting_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = _run_cli([], {"TIMEZONE": "Nowhere/City", "PYTHONPATH": str(ROOT)}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_cli_without_token_explains_and_lists_offline_commands(tmp_path: Path) -> None:
    result = _run_cli([], {"PYTHONPATH": str(ROOT)}, tmp_path)
    assert result.returncode != 0
    assert "@BotFather" in result.stderr
    assert "python -m bot import" in result.stderr and "db upgrade" in result.stderr


def test_cli_help_lists_every_command(tmp_path: Path) -> None:
    result = _run_cli(["--help"], {"PYTHONPATH": str(ROOT)}, tmp_path)
    assert result.returncode == 0
    for command in ("run", "db", "import", "invite"):
        assert command in result.stdout
