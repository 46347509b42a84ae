"""SQL statements per /items update, the inbox's bookkeeping included, by statement.

    .venv/bin/python bench/statements_per_update.py [--database sqlite|postgres] [--updates 50]

The real bot (bot.intake's receiver and worker around the Application, as `python -m
bot` runs it) in this process against the stand-in Bot API; one liaison sends /items
`--updates` times, each after the previous reply. Every statement the process sends to
the database in that window is counted with an engine `before_cursor_execute` listener
(BEGIN and COMMIT are not statements there; SQLite's and asyncpg's pool pings are none
either), grouped by its first 90 characters; commits, rollbacks (a session closed
without commit) and pool checkouts (one per session or connection) are listed apart.
Prints statements per update and the list.
Not recorded in RESULTS.md: it is a diagnosis, the count's bound is a test's job.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

from bench.throughput import BenchDatabase, prepare_database  # noqa: E402
from tests.support import updates as u  # noqa: E402
from tests.support.botapi import FakeBotAPI  # noqa: E402
from tests.support.duban import DubanRig  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--updates", type=int, default=50)
    args = parser.parse_args()
    user = u.TgUser(id=830_001, first_name="S")
    seen: Counter[str] = Counter()
    counting = False

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if counting:
            seen[" ".join(statement.split())[:90]] += 1

    def tally(name: str) -> Any:
        def note(*_args: Any) -> None:
            if counting:
                seen[f"({name})"] += 1

        return note

    event.listen(Engine, "before_cursor_execute", count)
    event.listen(Engine, "commit", tally("COMMIT"))
    event.listen(Engine, "rollback", tally("ROLLBACK"))
    event.listen(Pool, "checkout", tally("pool checkout"))
    with tempfile.TemporaryDirectory() as folder:
        async with BenchDatabase(args.database, Path(folder)) as url:
            await prepare_database(url, [user])
            async with FakeBotAPI() as api:
                rig = DubanRig(api, url, Path(folder) / "evidence")
                await rig.start()
                try:
                    for _ in range(3):  # warm: caches, the actor, prepared statements
                        await rig.ask(user, "/items")
                    await asyncio.sleep(0.5)
                    counting = True
                    for _ in range(args.updates):
                        await rig.ask(user, "/items")
                    await asyncio.sleep(0.5)  # the last update's bookkeeping after its reply
                    counting = False
                finally:
                    await rig.close()
    total = sum(n for statement, n in seen.items() if not statement.startswith("("))
    print(f"{args.database}: {total / args.updates:.2f} statements per /items update")
    for statement, n in seen.most_common():
        print(f"{n / args.updates:6.2f}  {statement}")


if __name__ == "__main__":
    asyncio.run(main())
