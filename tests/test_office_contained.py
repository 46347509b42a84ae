"""Issue 18, point 3: `soffice` gets none of the bot's secrets and a throwaway profile
that disables macros and never updates links. A stand-in `soffice` records what it
was given (its environment, its profile) and converts by copying a fixture."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.assessment.importer import load_document
from core.assessment.importer.convert import convert_to_docx

FIXTURES = Path(__file__).resolve().parent / "importer" / "fixtures"
OOR = "{http://openoffice.org/2001/registry}"


def stand_in_soffice(folder: Path) -> Path:
    """A shell script that behaves like `soffice --convert-to docx` and writes down its
    environment and its profile's registrymodifications.xcu into `folder`."""
    script = folder / "soffice"
    script.write_text(
        f"""#!/bin/sh
env > '{folder}/env.txt'
outdir=""
previous=""
for arg in "$@"; do
    case "$arg" in
        -env:UserInstallation=file://*) profile="${{arg#-env:UserInstallation=file://}}" ;;
    esac
    if [ "$previous" = "--outdir" ]; then outdir="$arg"; fi
    previous="$arg"
done
cp "$profile/user/registrymodifications.xcu" '{folder}/profile.xcu'
mkdir -p "$outdir"
cp '{FIXTURES / "table-2021.docx"}' "$outdir/document.docx"
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_soffice_gets_no_secrets_and_a_profile_without_macros_or_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    monkeypatch.setenv("WEBHOOK_SECRET", "hook-secret-value")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://duban:pw@db/duban")
    soffice = stand_in_soffice(tmp_path)
    data = (FIXTURES / "table-2021.doc").read_bytes()

    converted = convert_to_docx(data, ".doc", soffice=str(soffice))
    assert len(load_document(converted, "x.docx").items) == 16

    environment = dict(
        line.split("=", 1)
        for line in (tmp_path / "env.txt").read_text().splitlines()
        if "=" in line
    )
    for secret in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_URL"):
        assert secret not in environment
    text = (tmp_path / "env.txt").read_text()
    assert "hook-secret-value" not in text and "AAAAAAAA" not in text and "pw@db" not in text
    # The shell adds PWD, SHLVL and "_" of its own; the rest is what it was given.
    assert set(environment) - {"PWD", "SHLVL", "_", "OLDPWD"} == {"PATH", "HOME", "LANG", "TMPDIR"}
    assert environment["HOME"].startswith("/") and "duban-convert-" in environment["HOME"]
    assert environment["LANG"] == "C.UTF-8"

    root = ET.parse(tmp_path / "profile.xcu").getroot()
    settings = {
        (item.get(f"{OOR}path"), prop.get(f"{OOR}name")): prop.findtext("value")
        for item in root
        for prop in item
    }
    scripting = "/org.openoffice.Office.Common/Security/Scripting"
    assert settings == {
        (scripting, "MacroSecurityLevel"): "3",
        (scripting, "DisableMacrosExecution"): "true",
        (scripting, "BlockUntrustedRefererLinks"): "true",
        ("/org.openoffice.Office.Writer/Content/Update", "Link"): "0",
        ("/org.openoffice.Office.Calc/Content/Update", "Link"): "1",
    }
