"""Backups of an SQLite deployment: a consistent copy taken while the bot runs.

`backup PATH` uses SQLite's online backup API (pages are copied under the database's
own locking, so concurrent writes by the bot cannot tear the copy) and writes
`PATH.manifest.json` beside it: every evidence file's path, size and sha256.
`restore PATH` checks the copy (PRAGMA integrity_check, and the manifest against the
evidence store) and only then puts it in place of the live database — with the bot
stopped. PostgreSQL deployments use pg_dump; these commands say so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from runtime.config import Settings


def sqlite_path(settings: Settings) -> Path | None:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_manifest(root: Path) -> list[dict[str, object]]:
    if not root.exists():
        return []
    entries = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".staging" not in path.relative_to(root).parts:
            entries.append(
                {
                    "path": path.relative_to(root).as_posix(),
                    "size": path.stat().st_size,
                    "sha256": file_sha256(path),
                }
            )
    return entries


def integrity_errors(database: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
        fk = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    problems = [str(r[0]) for r in rows if r[0] != "ok"]
    problems += [f"foreign key: {row}" for row in fk]
    return problems


def manifest_errors(manifest: list[dict[str, object]], root: Path) -> list[str]:
    problems = []
    for entry in manifest:
        path = root / str(entry["path"])
        if not path.is_file():
            problems.append(f"missing evidence file {entry['path']}")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"evidence file {entry['path']} differs from the backup's manifest")
    return problems


def backup(settings: Settings, target: Path) -> int:
    source = sqlite_path(settings)
    if source is None:
        print("duban: backup copies SQLite databases; for PostgreSQL use pg_dump", file=sys.stderr)
        return 2
    if not source.exists():
        print(f"duban: no database at {source}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    manifest = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "database": target.name,
        "database_sha256": file_sha256(target),
        "evidence_dir": str(settings.evidence_dir),
        "evidence": evidence_manifest(settings.evidence_dir),
    }
    manifest_path = target.with_name(target.name + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    problems = integrity_errors(target)
    if problems:
        print(f"duban: the backup failed its integrity check: {problems[0]}", file=sys.stderr)
        return 1
    print(f"backup written: {target} ({len(manifest['evidence'])} evidence files in the manifest)")
    return 0


def restore(settings: Settings, source: Path) -> int:
    target = sqlite_path(settings)
    if target is None:
        print(
            "duban: restore writes SQLite databases; for PostgreSQL use pg_restore", file=sys.stderr
        )
        return 2
    if not source.is_file():
        print(f"duban: no backup at {source}", file=sys.stderr)
        return 1
    problems = integrity_errors(source)
    manifest_path = source.with_name(source.name + ".manifest.json")
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        problems += manifest_errors(manifest.get("evidence", []), settings.evidence_dir)
    if problems:
        print(
            f"duban: not restoring, the backup has problems: {'; '.join(problems[:3])}",
            file=sys.stderr,
        )
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):  # stale WAL files of the old database must not be replayed
        Path(str(target) + suffix).unlink(missing_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, partial)
    partial.replace(target)
    print(f"restored {target} from {source}; integrity check passed")
    return 0
