"""LibreOffice contained (issue 18): the environment and the throwaway profile that every
`soffice` conversion gets (core.assessment.importer.convert).

`soffice` reads a file someone sent; it must not see the bot's secrets nor run what the
file carries. It runs with a minimal environment — PATH, a private HOME, LANG — so
TELEGRAM_BOT_TOKEN, WEBHOOK_SECRET and DATABASE_URL are not in it, and with a fresh
profile whose `registrymodifications.xcu` sets, before LibreOffice first starts:

- org.openoffice.Office.Common/Security/Scripting: MacroSecurityLevel 3 (only macros
  from trusted locations, of which there are none), DisableMacrosExecution true,
  BlockUntrustedRefererLinks true;
- links are never updated: org.openoffice.Office.Writer/Content/Update/Link 0 and
  org.openoffice.Office.Calc/Content/Update/Link 1 (both LM_NEVER; the two
  components number their choices differently).

Tested with LibreOffice 7.4 (Debian 12) and later.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

#: (component path, property, XML Schema type, value) written into the profile.
PROFILE_SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "int", "3"),
    (
        "/org.openoffice.Office.Common/Security/Scripting",
        "DisableMacrosExecution",
        "boolean",
        "true",
    ),
    (
        "/org.openoffice.Office.Common/Security/Scripting",
        "BlockUntrustedRefererLinks",
        "boolean",
        "true",
    ),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "int", "0"),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "int", "1"),
)


def office_environment(home: Path) -> dict[str, str]:
    """All the environment `soffice` gets: nothing of the bot's."""
    return {
        "PATH": os.defpath,
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(home),
    }


def registry_modifications() -> str:
    items = "\n".join(
        f'<item oor:path={quoteattr(path)}><prop oor:name={quoteattr(name)} oor:op="fuse">'
        f"<value>{value}</value></prop></item>"
        for path, name, _type, value in PROFILE_SETTINGS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}\n"
        "</oor:items>\n"
    )


def prepare_profile(profile: Path) -> None:
    """A new LibreOffice user profile at `profile` (the -env:UserInstallation folder)."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(registry_modifications(), encoding="utf-8")
