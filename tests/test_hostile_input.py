"""Hostile and odd input, table-driven and property-based (hypothesis): no handler raises,
each user gets a reply or a deliberate silence, and the database keeps its invariants.

Every probe is followed by a sentinel (/help from a user of its own): updates are
handled in order, so once the sentinel is answered the probe has been fully handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage import inbox
from storage.models import Binding, Evidence, Report
from tests.support import updates as u
from tests.support.duban import ADMIN, LEADER, DubanRig

FARM = u.TgUser(id=640_001, first_name="农业联络员")
STRANGER = u.TgUser(id=640_002, first_name="路人")
SENTINEL = u.TgUser(id=640_999, first_name="哨兵")
GROUP = u.group_chat()
CHANNEL = u.channel_chat()
NASTY = [
    "x" * 4096,
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u202eA5.1\u202c",
    "٩(◕‿◕｡)۶ 🎉🔥💯",
    "Ａ５．１",
    "'; DROP TABLE report; --",
    "../../../../etc/passwd",
    "%s%s%s%n",
    "{code}{0}{}",
    "<b>bold</b> &amp; <script>",
    "\x00\x01\x02",
    "#",
    "#A5.1" + " 已完成" * 300,
    "/report@other_bot A5.1",
    "1e309",
    "-0",
]


class Probe:
    def __init__(self, rig: DubanRig, caplog: pytest.LogCaptureFixture) -> None:
        self.rig = rig
        self.caplog = caplog

    async def run(self, update: dict[str, Any], *, expect_reply_in: int | None) -> None:
        """Inject `update`; when `expect_reply_in` is a chat id, it must get a reply there."""
        rig = self.rig
        since = rig.api.mark()
        rig.inject(update)
        # The sentinel comes from a user of its own, so its answer cannot be mistaken for
        # the probe's (or a previous sentinel's) answer.
        rig.inject(u.command(SENTINEL, "/help"))
        await rig.api.wait_for(
            lambda m: m.kind == "send", chat_id=SENTINEL.id, since=since, timeout=60
        )
        # Chats are handled at once (issue 19): the sentinel's answer no longer means the
        # probe's chat was handled too; an empty inbox does.
        await inbox_empty(rig)
        if expect_reply_in is not None:
            await rig.api.wait_for(
                lambda m: m.kind == "send", chat_id=expect_reply_in, since=since, timeout=30
            )
        failures = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        assert not failures, failures[0].getMessage()
        if expect_reply_in is not None:
            replies = [
                m for m in rig.api.sent[since:] if m.chat_id == expect_reply_in and m.kind == "send"
            ]
            assert replies, f"no reply to {str(update)[:200]}"
        await invariants(rig)


async def inbox_empty(rig: DubanRig) -> None:
    for _ in range(600):
        async with rig.session() as session:
            if await inbox.pending_count(session) == 0:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the inbox did not empty")


async def invariants(rig: DubanRig) -> None:
    async with rig.session() as session:
        counts = await session.execute(
            select(Binding.id, Binding.report_count, func.count(Report.id))
            .outerjoin(Report, Report.binding_id == Binding.id)
            .group_by(Binding.id, Binding.report_count)
        )
        for binding_id, cached, actual in counts:
            assert cached == actual, f"binding {binding_id}: {cached} != {actual}"
        orphans = await session.scalar(
            select(func.count(Evidence.id))
            .outerjoin(Report, Report.id == Evidence.report_id)
            .where(Report.id.is_(None))
        )
        assert orphans == 0
        for path in (await session.scalars(select(Evidence.stored_path))).all():
            assert (rig.evidence_dir / path).is_file()


@pytest.fixture
async def probe(sqlite_rig: DubanRig, caplog: pytest.LogCaptureFixture) -> Probe:
    await sqlite_rig.join(FARM, "农业")
    caplog.set_level(logging.ERROR)
    return Probe(sqlite_rig, caplog)


COMMANDS = [
    "/start",
    "/help",
    "/join",
    "/items",
    "/report",
    "/evidence",
    "/history",
    "/invite",
    "/lang",
    "/cancel",
    "/done",
    "/skip",
    "/status",
    "/dept",
    "/item",
    "/nonsense",
]


async def test_table_of_odd_commands_and_texts(probe: Probe) -> None:
    for user in (FARM, STRANGER, ADMIN):
        for command in COMMANDS:
            for argument in [*NASTY[:6], NASTY[6], NASTY[5]]:
                await probe.run(u.command(user, f"{command} {argument}"), expect_reply_in=user.id)
        for text in NASTY:
            await probe.run(u.text_message(user, text), expect_reply_in=user.id)


async def test_table_of_odd_updates(probe: Probe) -> None:
    rig = probe.rig
    ref = rig.api.add_file(b"\x89PNG fake", mime_type="image/jpeg")
    doc = rig.api.add_file(b"%PDF", mime_type="application/pdf", file_name="../../evil.pdf")
    kinds: list[tuple[Callable[[], dict[str, Any]], int | None]] = [
        (lambda: u.sticker_message(FARM), FARM.id),
        (lambda: u.voice_message(FARM), FARM.id),
        (lambda: u.video_note_message(FARM), FARM.id),
        (lambda: u.location_message(FARM), FARM.id),
        (lambda: u.contact_message(FARM), FARM.id),
        (lambda: u.poll_message(FARM), FARM.id),
        (lambda: u.forwarded_message(FARM, "#A5.1 已完成", STRANGER), FARM.id),
        (lambda: u.edited_message(FARM, u.text_message(FARM, "a"), "b"), FARM.id),
        (lambda: u.message_from_bot("/start", u.private_chat(FARM)), None),
        (lambda: u.channel_post(CHANNEL, "/status"), None),
        (lambda: u.command(FARM, "/status", GROUP), None),
        (lambda: u.text_message(STRANGER, "hello group", GROUP), None),
        (lambda: u.photo_message(STRANGER, ref, caption="#A5.1 90%", chat=GROUP), None),
        (lambda: u.photo_message(FARM, ref, caption="#../../etc 90%"), FARM.id),
        (
            lambda: u.document_message(
                FARM,
                doc,
                file_name="../../evil.pdf",
                mime_type="application/pdf",
                caption="#A5.1 推进中",
            ),
            FARM.id,
        ),
        (lambda: u.photo_message(FARM, ref, caption=NASTY[12][:1024]), FARM.id),
        (
            lambda: {
                "message": {"message_id": 1, "date": 0, "chat": {"id": FARM.id, "type": "private"}}
            },
            None,
        ),
        (lambda: {"my_chat_member": None} | {}, None),
    ]
    for make, reply_chat in kinds:
        update = make()
        if not any(v for k, v in update.items() if k != "update_id"):
            continue
        await probe.run(update, expect_reply_in=reply_chat)
    # The document's hostile file name did not place anything outside the store.
    stored = [p for p in rig.evidence_dir.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(rig.evidence_dir.resolve()) for p in stored)
    assert not (rig.evidence_dir.parent / "evil.pdf").exists()


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=300
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    who=st.sampled_from(["liaison", "stranger", "admin"]),
    command=st.sampled_from([*COMMANDS, ""]),
    argument=texts,
)
async def test_random_commands_and_texts(
    probe: Probe, who: str, command: str, argument: str
) -> None:
    user = {"liaison": FARM, "stranger": STRANGER, "admin": ADMIN}[who]
    text = f"{command} {argument}".strip() if command else argument
    if not text.strip():
        text = "?"
    update = (
        u.command(user, text) if text.startswith("/") and command else u.text_message(user, text)
    )
    await probe.run(update, expect_reply_in=user.id)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(caption=st.one_of(texts, st.builds(lambda t: "#" + t, texts)))
async def test_random_captions(probe: Probe, caption: str) -> None:
    ref = probe.rig.api.add_file(b"\x89PNG" + caption.encode()[:50], mime_type="image/jpeg")
    await probe.run(
        u.photo_message(FARM, ref, caption=caption[:1024] or None), expect_reply_in=FARM.id
    )


# Every button pattern the bot registers, with real-looking, stale and odd values.
BUTTON_DATA = [
    "items:0",
    "items:99999999999999999999",
    "item:0",
    "item:1",
    "hist:1:99999",
    "ev:1",
    "rep:1",
    "rep:99999999999999999999",
    "rp:i:1",
    "rp:p:7",
    "rp:s:done",
    "dept:1",
    "dept:0",
    "inv:1",
    "ho:y:1",
    "ho:n:640001",
    "rv:a:1",
    "rv:r:1",
    "rv:e:1",
    "ug:n",
    "ug:y:1",
    "ug:d:1",
    "imp:y:abc",
    "imp:n:abc",
    "adj:b:1:A5.1",
    "adj:u:1:Z9.9",
    "",
    "x" * 64,
    "\u202eitems:1",
    "items:1\n",
]


def without(query_update: dict[str, Any], *fields: str, **extra: Any) -> dict[str, Any]:
    """The callback query of `query_update` without `fields`, with `extra` ones added."""
    query = {k: v for k, v in query_update["callback_query"].items() if k not in fields}
    return {"callback_query": query | extra}


async def test_callback_queries_with_missing_and_odd_fields(probe: Probe) -> None:
    """From every role: a button without data (a game button), without a message (an
    inline message), and with odd or stale data never raises, always stops the spinner
    (answerCallbackQuery), and changes nothing that should not change."""
    rig = probe.rig
    await rig.join(LEADER, None)
    for user in (STRANGER, FARM, LEADER, ADMIN):
        shown = await rig.ask(user, "/help")  # a real bot message to press buttons on
        presses = [u.callback_query(user, data, shown) for data in BUTTON_DATA]
        sample = u.callback_query(user, "items:0", shown)
        presses += [
            without(sample, "data", game_short_name="duban_game"),
            without(sample, "data"),
            without(sample, "message", inline_message_id="AAAAAgAAAA"),
            without(sample, "message", "data", inline_message_id="AAAAAgAAAA"),
        ]
        for press in presses:
            query_id = press["callback_query"]["id"]
            data = press["callback_query"].get("data")
            try:
                await probe.run(press, expect_reply_in=None)
            except AssertionError as exc:
                raise AssertionError(f"{user.first_name} pressed {data!r}: {exc}") from exc
            answered = [
                c
                for c in rig.api.callback_answers()
                if c.params.get("callback_query_id") == query_id
            ]
            assert answered, (
                f"{user.first_name}: no answer to {press['callback_query'].get('data')!r}"
            )
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Report.id))) == 0
