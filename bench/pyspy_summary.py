"""Where a py-spy profile's samples go: per thread, per area of the code, per function.

    .venv/bin/python bench/pyspy_summary.py PROFILE.txt [--top 40] [--focus SUBSTRING]

PROFILE.txt is py-spy's raw output (`py-spy record --threads --format raw`, as
bench/cpu_per_update.py --py-spy writes it): one line per distinct stack, frames root
first separated by ";", the sample count last. Recorded without --idle, a sample is a
moment a thread was running (on the CPU or about to be), so shares are shares of CPU.

Prints: samples per thread; per category of Duban's per-update path (each sample counted
once, by its innermost frame that names a category, see CATEGORIES); the top functions
by inclusive and by self samples (file:function, line numbers dropped); with --focus,
the callees below frames matching SUBSTRING. Samples whose innermost frame is a known
wait (IDLE_LEAVES: epoll, aiosqlite's queue) are dropped unless --keep-idle.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")

# Where a sample belongs: walking its frames from the innermost outwards, the first frame
# containing one of these "file:function" fragments names its category.
CATEGORIES: list[tuple[str, str]] = [
    ("runtime/sending.py:send_reliably", "reply: sendMessage through PTB + httpx"),
    ("receive.py:PollingReceiver._fetch", "receiver: getUpdates through PTB + httpx"),
    ("receive.py:store_updates", "receiver: store the batch in the inbox (+ commit)"),
    ("storage/inbox.py:mark_handled", "inbox: mark handled"),
    ("storage/inbox.py:count_attempt", "inbox: count the attempt (+ commit)"),
    ("storage/inbox.py:pending_chats", "inbox: find a waiting chat"),
    ("storage/inbox.py:pending_of_chat", "inbox: load the chat's pending updates"),
    ("core/people/actors.py", "use case: load the actor"),
    ("liaison.py:items_command", "use case: /items (queries + text)"),
    ("telegram/_update.py:Update.de_json", "PTB: Update.de_json"),
    ("runtime/intake/", "intake context / outbox"),
    ("handlers/base.py", "handlers/base.py wrapper: session, turn, finish"),
    ("Application.process_update", "PTB: process_update, handler checks"),
    ("bot/intake/work.py", "worker: sessions + commits around the update"),
    ("bot/intake/", "intake: other"),
]
# SQLAlchemy runs the ORM inside a greenlet; py-spy shows a greenlet's frames without the
# task that awaits it. Such stacks (no thread entry at their root) are told apart by the
# kind of work near their root, outermost first.
GREENLET: list[tuple[str, str]] = [
    ("actors.py:_bulk_user_change", "greenlet: Session listener (actor cache)"),
    ("BulkORMUpdate", "greenlet: ORM UPDATE (inbox bookkeeping)"),
    ("BulkUDCompileState", "greenlet: ORM UPDATE (inbox bookkeeping)"),
    ("BulkORMInsert", "greenlet: ORM INSERT (inbox store)"),
    ("session.py:Session.commit", "greenlet: commit"),
    ("session.py:Session.close", "greenlet: close (rollback, expunge)"),
    ("session.py:Session._connection_for_bind", "greenlet: begin, pool checkout"),
    ("session.py:Session.", "greenlet: ORM SELECT (compile, execute, load rows)"),
]
# What no frame above names: by the outermost frame that says something.
FALLBACK: list[tuple[str, str]] = [
    ("aiosqlite/", "aiosqlite thread / hand-offs"),
    ("asyncio/", "asyncio loop: wakeups, callbacks, sockets"),
]
THREAD_ENTRIES = ("_run_module_as_main", "Thread._bootstrap")


# Samples whose innermost frame is a wait, not work (py-spy's own idle check misses
# these: a C-level blocking call inside a Python frame). Dropped unless --keep-idle.
IDLE_LEAVES = (
    "selectors.py:EpollSelector.select",
    "aiosqlite/core.py:_connection_worker_thread@59",  # tx.get(): waiting for work
    "threading.py:Condition.wait",
    "queue.py:Queue.get",
)


def parse(path: Path) -> list[tuple[str, list[tuple[str, str]], int, str]]:
    stacks = []
    for line in path.read_text().splitlines():
        body, _, count = line.rpartition(" ")
        if not body or not count.isdigit():
            continue
        frames = body.split(";")
        thread = frames[0]
        parsed = []
        for frame in frames[1:]:
            match = FRAME.match(frame)
            parsed.append((match["func"], match["file"]) if match else (frame, "?"))
        leaf_line = re.search(r":(\d+)\)$", frames[-1])
        leaf = f"{parsed[-1][1]}:{parsed[-1][0]}" if parsed else ""
        if leaf_line and parsed:
            leaf += f"@{leaf_line.group(1)}"
        stacks.append((thread, parsed, int(count), leaf))
    return stacks


def thread_name(thread: str) -> str:
    name = thread.split("): ", 1)[-1]
    return re.sub(r"Thread-\d+ ", "Thread-N ", name)


def category_of(frames: list[tuple[str, str]]) -> str:
    keys = [f"{file}:{func}" for func, file in frames]
    if keys and not any(entry in keys[0] for entry in THREAD_ENTRIES):
        for needle, category in GREENLET:  # the most telling kind first
            if any(needle in key for key in keys):
                return category
    for key in reversed(keys):
        for needle, category in CATEGORIES:
            if needle in key:
                return category
    for key in keys:
        for needle, category in FALLBACK:
            if needle in key:
                return category
    return "other"


def is_idle(leaf: str) -> bool:
    return any(leaf == marker or leaf.startswith(marker + "@") for marker in IDLE_LEAVES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--focus", help="show callees under frames containing this")
    parser.add_argument("--keep-idle", action="store_true", help="count waiting leaves too")
    args = parser.parse_args()
    stacks = [s for s in parse(args.profile) if args.keep_idle or not is_idle(s[3])]
    total = sum(count for _, _, count, _ in stacks)
    threads: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    focus: Counter[str] = Counter()
    for thread, frames, count, _leaf in stacks:
        threads[thread_name(thread)] += count
        areas[category_of(frames)] += count
        seen = set()
        for func, file in frames:
            key = f"{file}:{func}"
            if key not in seen:
                inclusive[key] += count
                seen.add(key)
        if frames:
            func, file = frames[-1]
            own[f"{file}:{func}"] += count
        if args.focus:
            for index, (func, file) in enumerate(frames):
                if args.focus in f"{file}:{func}" and index + 1 < len(frames):
                    callee = frames[index + 1]
                    focus[f"{callee[1]}:{callee[0]}"] += count
                    break

    def show(title: str, counter: Counter[str], limit: int) -> None:
        print(f"\n{title}")
        for key, count in counter.most_common(limit):
            print(f"{100 * count / total:6.1f} %  {count:7d}  {key}")

    print(f"{total} samples in {args.profile}")
    show("threads", threads, 20)
    show("categories (each sample once, innermost matching frame)", areas, 40)
    show("inclusive, by function", inclusive, args.top)
    show("self, by function", own, args.top)
    if args.focus:
        show(f"callees of {args.focus}", focus, args.top)


if __name__ == "__main__":
    main()
