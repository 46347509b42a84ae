"""The fake Bot API server speaks PTB 22's dialect over real HTTP.

Every test drives a real ``telegram.Bot`` or ``telegram.ext.Application`` against
:class:`tests.support.botapi.FakeBotAPI`, so these tests pin down both the wire format
the server accepts and the answers PTB can parse, plus the Telegram rules the server
enforces (limits, album rules, flood control) and the test helpers built on top.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import time
import warnings
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.support import updates as f
from tests.support.botapi import ApiError, FakeBotAPI, SentMessage, WaitTimeout
from tests.support.harness import application_builder, fake_bot, polling
from tests.support.tg_text import EntityParseError, parse_text

ALICE = f.TgUser(id=1001, first_name="爱丽丝", username="alice")
BOB = f.TgUser(id=1002, first_name="Bob", username="bob", language_code="en")
GROUP = f.group_chat(-1001111111111, "督办测试群")


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG (the server rejects non-images in sendPhoto like Telegram)."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest_asyncio.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with fake_bot(api) as the_bot:
        yield the_bot


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # int-vs-timedelta deprecation of PTB 22
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --------------------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_get_me_and_wrong_token(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == api.bot_id and me.is_bot and me.username == "duban_test_bot"
    assert api.base_url.endswith("/bot") and api.base_file_url.endswith("/file/bot")
    with pytest.raises(InvalidToken):
        async with Bot("42:WRONG", base_url=api.base_url):
            pass  # initialize() calls getMe, which the server refuses
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{api.base_url}42:WRONG/getMe")
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


@pytest.mark.asyncio
async def test_unknown_method_is_a_telegram_error(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)method not found"):
        await bot.do_api_request("sendRocket", api_kwargs={"chat_id": 1})


@pytest.mark.asyncio
async def test_send_message_with_keyboard_round_trip(api: FakeBotAPI, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("完成 ✅", callback_data="done:A5.1")],
            [InlineKeyboardButton("文档", url="https://example.org/a")],
        ]
    )
    text = "<b>任务</b> A5.1 &lt;急&gt; 🌿 <a href='https://example.org'>链接</a>"
    message = await bot.send_message(
        ALICE.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    # PTB parsed our Message: rendered text, UTF-16 entities, the keyboard.
    assert message.text == "任务 A5.1 <急> 🌿 链接"
    assert message.chat.type == "private" and message.from_user is not None
    assert message.from_user.id == api.bot_id
    assert [e.type for e in message.entities] == ["bold", "text_link"]
    assert message.parse_entity(message.entities[1]) == "链接"
    assert message.reply_markup == keyboard

    sent = await api.wait_for(chat_id=ALICE.id, method="sendMessage")
    assert sent.text == text and sent.parse_mode == "HTML"
    assert sent.plain_text == message.text and sent.message_id == message.message_id
    assert sent.callback_data == ["done:A5.1"] and sent.button("完成")["callback_data"]
    assert api.messages_to(ALICE.id) == [sent]
    assert (await bot.send_message(ALICE.id, "second")).message_id == message.message_id + 1
    group_message = await bot.send_message(GROUP.id, "hi group")
    assert group_message.chat.type == "supergroup" and group_message.message_id == 1


@pytest.mark.asyncio
async def test_validation_like_telegram(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE.id, "x" * 4097)
    # Limits apply to the rendered text, so markup does not count.
    await bot.send_message(ALICE.id, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ALICE.id, "<b></b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Unsupported start tag"):
        await bot.send_message(ALICE.id, "用户输入 x<y 的值", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Character '.' is reserved"):
        await bot.send_message(ALICE.id, "完成率 95.5%", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            ALICE.id,
            "k",
            reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("b", callback_data="数" * 22)
            ),  # 66 bytes
        )
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(ALICE.id, tiny_png(), caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(ALICE.id, "re", reply_to_message_id=999_999)
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ALICE.id, b"definitely not an image")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(ALICE.id, "no-such-file-id")
    # Failed calls are in `calls` but never in `sent`.
    assert len(api.messages_to(ALICE.id)) == 2
    assert {c.status for c in api.calls_to("sendMessage")} == {200, 400}


@pytest.mark.asyncio
async def test_edit_delete_and_not_modified(api: FakeBotAPI, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup.from_button(InlineKeyboardButton("ok", callback_data="1"))
    message = await bot.send_message(ALICE.id, "v1", reply_markup=keyboard)
    edited = await bot.edit_message_text("v2", ALICE.id, message.message_id, reply_markup=keyboard)
    assert isinstance(edited, type(message)) and edited.text == "v2"
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v2", ALICE.id, message.message_id, reply_markup=keyboard)
    await bot.edit_message_reply_markup(ALICE.id, message.message_id, reply_markup=None)
    current = api.current_message(ALICE.id, message.message_id)
    assert current is not None and "reply_markup" not in current and current["text"] == "v2"
    assert await bot.delete_message(ALICE.id, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v3", ALICE.id, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE.id, message.message_id)
    kinds = [r.kind for r in api.messages_to(ALICE.id, include_edits=True)]
    assert kinds == ["send", "edit", "edit", "delete"]


# --------------------------------------------------------------------------- files


@pytest.mark.asyncio
async def test_send_photo_upload_then_resend_by_file_id(api: FakeBotAPI, bot: Bot) -> None:
    png = tiny_png(400, 300)
    first = await bot.send_photo(
        ALICE.id, png, caption="<i>图</i>", parse_mode="HTML", filename="chart.png"
    )
    assert first.caption == "图" and first.caption_entities[0].type == "italic"
    sizes = first.photo
    assert [s.width for s in sizes] == [90, 320, 400]  # thumbnails first, original last
    record = await api.wait_for(method="sendPhoto")
    assert record.files[0].uploaded and record.files[0].content == png
    assert record.files[0].file_id == sizes[-1].file_id

    again = await bot.send_photo(BOB.id, sizes[-1].file_id)
    assert again.photo[-1].file_unique_id == sizes[-1].file_unique_id
    resent = await api.wait_for(method="sendPhoto", chat_id=BOB.id)
    assert not resent.files[0].uploaded and resent.files[0].content == png
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Photo as Document"):
        await bot.send_document(BOB.id, sizes[-1].file_id)

    # Documents keep their (non-ASCII) file name and MIME type.
    doc = await bot.send_document(ALICE.id, "排名,分数\n".encode(), filename="考核排名.csv")
    assert doc.document is not None
    assert doc.document.file_name == "考核排名.csv" and doc.document.mime_type == "text/csv"
    again_doc = await bot.send_document(BOB.id, doc.document.file_id)
    assert again_doc.document is not None and again_doc.document.file_name == "考核排名.csv"


@pytest.mark.asyncio
async def test_media_group_rules(api: FakeBotAPI, bot: Bot) -> None:
    photos = [InputMediaPhoto(tiny_png(), caption="第一张" if i == 0 else None) for i in range(3)]
    messages = await bot.send_media_group(ALICE.id, photos)
    assert len(messages) == 3 and len({m.media_group_id for m in messages}) == 1
    assert messages[0].media_group_id is not None and messages[0].caption == "第一张"
    assert [m.message_id for m in messages] == [1, 2, 3]
    record = await api.wait_for(method="sendMediaGroup")
    assert record.message_ids == [1, 2, 3] and len(record.media) == 3
    assert all(f.uploaded for f in record.files) and record.caption == "第一张"

    # Mixed photo/document albums are refused; document-only albums are fine.
    with pytest.raises(BadRequest, match=r"(?i)document can't be mixed with other media types"):
        await bot.send_media_group(
            ALICE.id, [InputMediaPhoto(tiny_png()), InputMediaDocument(b"x", filename="a.txt")]
        )
    docs = await bot.send_media_group(
        ALICE.id,
        [InputMediaDocument(b"a", filename="a.txt"), InputMediaDocument(b"b", filename="b.txt")],
    )
    assert [m.document.file_name for m in docs if m.document] == ["a.txt", "b.txt"]
    # Re-using photos by file_id inside an album works too.
    ids = [messages[0].photo[-1].file_id, messages[1].photo[-1].file_id]
    again = await bot.send_media_group(BOB.id, [InputMediaPhoto(i) for i in ids])
    assert [m.photo[-1].file_id for m in again] == ids
    with pytest.raises(BadRequest, match=r"(?i)2-10"):
        await bot.send_media_group(ALICE.id, [InputMediaPhoto(tiny_png())])
    with pytest.raises(BadRequest, match=r"(?i)too many messages"):
        await bot.send_media_group(ALICE.id, [InputMediaPhoto(tiny_png())] * 11)


@pytest.mark.asyncio
async def test_get_file_download_and_too_big(api: FakeBotAPI, bot: Bot) -> None:
    content = "第一季度整改报告".encode() * 100
    ref = api.add_file(content, mime_type="application/pdf", file_name="报告.pdf")
    tg_file = await bot.get_file(ref.file_id)
    assert tg_file.file_size == len(content) and tg_file.file_unique_id == ref.file_unique_id
    assert tg_file.file_path is not None and tg_file.file_path.startswith(api.base_file_url)
    assert bytes(await tg_file.download_as_bytearray()) == content

    big = api.add_file(b"tiny", declared_size=25 * 1024 * 1024)
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big.file_id)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")
    api.fail_next("download", status=500)
    with pytest.raises(NetworkError):
        await tg_file.download_as_bytearray()
    assert [c.status for c in api.calls_to("download")] == [200, 500]


# --------------------------------------------------------------------------- faults


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter
async def test_flood_control_and_other_faults(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(ALICE.id, "hi")
    assert retry_seconds(excinfo.value) == 7
    assert api.sent == []  # a refused call sent nothing

    api.fail_next("*", status=403, chat_id=BOB.id, times=2)  # Bob blocked the bot
    await bot.send_message(ALICE.id, "still fine")
    with pytest.raises(Exception, match=r"(?i)blocked"):
        await bot.send_message(BOB.id, "hi")

    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "lost")
    api.drop_next("sendMessage", process=True)  # delivered, but the answer is lost
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "delivered anyway")
    assert (await api.wait_for(contains="delivered anyway")).chat_id == ALICE.id

    api.delay("sendMessage", 0.3)
    started = time.monotonic()
    await bot.send_message(ALICE.id, "slow")
    assert time.monotonic() - started >= 0.3

    api.fail_next("getMe", status=502, body=b"<html>Bad Gateway</html>")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.get_me()
    faults = [(c.method, c.status, c.fault) for c in api.calls if c.fault]
    assert faults == [
        ("sendMessage", 429, "fail"),
        ("sendMessage", 403, "fail"),
        ("sendMessage", 0, "drop"),
        ("sendMessage", 0, "drop"),
        ("getMe", 502, "fail"),
    ]


# --------------------------------------------------------------------------- polling


@pytest.mark.asyncio
async def test_long_poll_returns_promptly_and_confirms(api: FakeBotAPI) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as client:
        started = time.monotonic()
        empty = await client.post(url, data={"timeout": "0.3"})
        assert empty.json() == {"ok": True, "result": []}
        assert 0.25 <= time.monotonic() - started < 2

        poll = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.1)
        # The long poll must not block other requests to the server.
        me = await client.post(f"{api.base_url}{api.token}/getMe")
        assert me.json()["ok"] is True
        started = time.monotonic()
        update_id = api.inject(f.text_message(ALICE, "hello"))
        answer = (await poll).json()
        assert time.monotonic() - started < 1
        assert [u["update_id"] for u in answer["result"]] == [update_id]
        assert answer["result"][0]["message"]["text"] == "hello"

        # Unconfirmed updates are delivered again; a higher offset confirms them.
        again = await client.post(url, data={"timeout": "0"})
        assert [u["update_id"] for u in again.json()["result"]] == [update_id]
        assert api.pending_updates == 1
        await client.post(url, data={"offset": str(update_id + 1), "timeout": "0"})
        assert api.pending_updates == 0
        await api.wait_idle(timeout=0.1)

        # A second poller terminates the first one with 409 Conflict, like Telegram.
        first = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(client.post(url, data={"timeout": "0.2"}))
        terminated = await first
        assert terminated.status_code == 409 and "terminated" in terminated.json()["description"]
        assert (await second).json()["result"] == []

        # Types outside allowed_updates are never delivered.
        api.inject(f.chat_member_updated(ALICE, GROUP, BOB, "member", "left", mine=False))
        assert (await client.post(url, data={"timeout": "0"})).json()["result"] == []
        assert [u.type for u in api.dropped_updates] == ["chat_member"]


@pytest.mark.asyncio
async def test_application_answers_command_photo_album_and_callback(api: FakeBotAPI) -> None:
    async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("确认", callback_data=f"ack:{' '.join(context.args or [])}")
        )
        await update.effective_message.reply_text(f"收到 {context.args}", reply_markup=keyboard)

    async def photo(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
        message = update.effective_message
        assert message is not None and message.photo
        data = await (await message.photo[-1].get_file()).download_as_bytearray()
        await message.reply_text(f"photo {len(data)} group={message.media_group_id}")

    async def button(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("已确认")
        await query.edit_message_text(f"已确认 {query.data}")

    app = application_builder(api).build()
    app.add_handler(CommandHandler("report", report))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(CallbackQueryHandler(button))

    async with polling(app):
        mark = api.mark()
        api.inject(f.command(ALICE, "/report A5.1"))
        reply = await api.wait_for(chat_id=ALICE.id, since=mark)
        assert reply.text == "收到 ['A5.1']" and reply.callback_data == ["ack:A5.1"]

        ref = api.add_file(tiny_png(), kind="photo")
        api.inject(f.photo_message(ALICE, ref, caption="现场照片"))
        single = await api.wait_for(chat_id=ALICE.id, contains="photo")
        assert single.text == f"photo {ref.file_size} group=None"

        refs = [api.add_file(tiny_png(3, 3)) for _ in range(3)]
        album = f.album(BOB, refs, caption="三张")
        api.inject_many(album)
        answers = await api.wait_messages(BOB.id, 3)
        group_id = album[0]["message"]["media_group_id"]
        assert {a.text for a in answers} == {f"photo {refs[0].file_size} group={group_id}"}

        api.inject(f.callback_query(ALICE, "ack:A5.1", reply))
        edit = await api.wait_for(chat_id=ALICE.id, method="editMessageText")
        assert edit.message_id == reply.message_id and edit.text == "已确认 ack:A5.1"
        answer = await api.wait_call("answerCallbackQuery")
        assert answer.params["text"] == "已确认" and answer.status == 200
        await api.assert_quiet(seconds=0.2)
        await api.wait_idle()
    assert not app.running
    assert api.pending_updates == 0


# --------------------------------------------------------------------------- helpers


@pytest.mark.asyncio
async def test_wait_helpers_consume_and_detect_noise(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "one")
    await bot.send_message(ALICE.id, "two")
    first = await api.wait_for(chat_id=ALICE.id)
    second = await api.wait_for(chat_id=ALICE.id)
    assert (first.text, second.text) == ("one", "two")  # each record handed out once
    with pytest.raises(WaitTimeout, match=r"(?i)one"):
        await api.wait_for(chat_id=ALICE.id, timeout=0.05)
    peek = await api.wait_for(chat_id=ALICE.id, consume=False, since=0)
    assert peek is first

    await api.assert_quiet(ALICE.id, seconds=0.05)
    await bot.send_message(ALICE.id, "unexpected")
    with pytest.raises(AssertionError, match=r"(?i)unexpected"):
        await api.assert_quiet(ALICE.id, seconds=0.05)

    # A waiter started before the message arrives is woken by it (no polling).
    waiter = asyncio.create_task(api.wait_for(contains="later", timeout=2))
    await asyncio.sleep(0.05)
    await bot.send_message(BOB.id, "later")
    assert (await waiter).chat_id == BOB.id

    mark = api.mark()
    await bot.send_message(BOB.id, "after mark")
    assert [m.text for m in await api.wait_messages(BOB.id, 1, since=mark)] == ["after mark"]
    api.clear()
    assert api.sent == [] and api.mark() == 0


@pytest.mark.asyncio
async def test_commands_chat_and_misc_methods(api: FakeBotAPI, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    zh = [BotCommand("report", "上报进度"), BotCommand("help", "帮助")]
    await bot.set_my_commands(zh, language_code="zh")
    await bot.set_my_commands(
        [BotCommand("start", "Start")], scope=BotCommandScopeAllPrivateChats()
    )
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["report", "help"]
    assert api.commands(language_code="zh")[0] == {"command": "report", "description": "上报进度"}
    assert api.commands({"type": "all_private_chats"})[0]["command"] == "start"
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Report", "x")])

    assert await bot.send_chat_action(ALICE.id, "typing")
    chat = await bot.get_chat(GROUP.id)
    assert chat.type == "supergroup"
    api.inject(f.text_message(ALICE, "hi", GROUP))
    assert (await bot.get_chat(GROUP.id)).title == GROUP.title
    assert await bot.set_webhook("https://example.org/hook")
    assert api.webhook is not None and api.webhook["url"] == "https://example.org/hook"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert api.pending_updates == 0 and api.webhook is None
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("unknown-query")


@pytest.mark.asyncio
async def test_stubs_and_restart_keep_state(api: FakeBotAPI, bot: Bot) -> None:
    api.stub("setMessageReaction")  # not modelled: answer True
    assert await bot.set_message_reaction(ALICE.id, 1, "👍")

    def kicked(params: dict[str, Any]) -> Any:
        raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")

    api.stub("leaveChat", kicked)
    with pytest.raises(Forbidden, match="kicked"):
        await bot.leave_chat(GROUP.id)

    first = await bot.send_message(ALICE.id, "before outage")
    port = api.port
    await asyncio.to_thread(api.stop)
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE.id, "during outage")
    await asyncio.to_thread(api.start)
    assert api.port == port  # same URL, so the running bot reconnects by itself
    again = await bot.send_message(ALICE.id, "after outage")
    assert again.message_id == first.message_id + 1
    assert [m.text for m in api.messages_to(ALICE.id)] == ["before outage", "after outage"]


@pytest.mark.asyncio
async def test_factories_build_fresh_valid_updates(api: FakeBotAPI, bot: Bot) -> None:
    doc_ref = api.add_file(b"%PDF-1.4", mime_type="application/pdf", file_name="a.pdf")
    sent = await bot.send_message(ALICE.id, "pick one")
    sent_record: SentMessage = await api.wait_for(chat_id=ALICE.id)
    channel = f.channel_chat(username="duban_news")
    built = [
        f.text_message(ALICE, "你好"),
        f.command(ALICE, "/report A5.1", GROUP, bot_username="duban_test_bot"),
        f.command(ALICE, "/开始"),
        f.photo_message(ALICE, doc_ref, caption="cap"),
        f.document_message(ALICE, doc_ref),
        *f.album(ALICE, [doc_ref, doc_ref], caption="album", kind="document"),
        f.callback_query(ALICE, "x", sent_record),
        f.edited_message(ALICE, f.text_message(ALICE, "old"), "new"),
        f.sticker_message(ALICE),
        f.voice_message(ALICE),
        f.video_note_message(ALICE),
        f.location_message(ALICE),
        f.contact_message(ALICE),
        f.poll_message(ALICE, chat=GROUP),
        f.channel_post(channel, "通报"),
        f.forwarded_message(ALICE, "fwd", BOB),
        f.forwarded_message(ALICE, "fwd", channel),
        f.message_from_bot("beep", GROUP),
        f.new_chat_members_message(ALICE, [BOB], GROUP),
        f.chat_member_updated(ALICE, GROUP, BOB, "member", "administrator"),
        f.chat_member_updated(ALICE, GROUP, BOB, "member", "restricted"),
        f.text_message(BOB, "reply", reply_to=f.text_message(ALICE, "orig")),
    ]
    parsed = []
    for raw in built:
        raw["update_id"] = 1
        parsed.append(Update.de_json(raw, bot))
    assert parsed[1].effective_message is not None
    cmd = parsed[1].effective_message
    assert cmd.text == "/report@duban_test_bot A5.1"
    assert cmd.entities[0].length == len("/report@duban_test_bot")
    assert parsed[2].effective_message is not None
    assert parsed[2].effective_message.entities[0].length == 3  # UTF-16 units
    assert parsed[3].effective_message is not None
    assert parsed[3].effective_message.photo[-1].file_id == doc_ref.file_id
    assert parsed[5].effective_message is not None and parsed[6].effective_message is not None
    assert parsed[5].effective_message.media_group_id == parsed[6].effective_message.media_group_id
    assert parsed[6].effective_message.caption is None
    assert parsed[7].callback_query is not None and parsed[7].callback_query.message is not None
    assert parsed[7].callback_query.message.message_id == sent.message_id
    assert parsed[8].edited_message is not None and parsed[8].edited_message.text == "new"
    assert parsed[15].channel_post is not None
    assert parsed[17].effective_message is not None
    assert parsed[17].effective_message.forward_origin is not None
    assert parsed[18].effective_user is not None and parsed[18].effective_user.is_bot
    assert parsed[20].my_chat_member is not None and parsed[21].my_chat_member is not None
    assert parsed[22].effective_message is not None
    assert parsed[22].effective_message.reply_to_message is not None
    ids = [u.effective_message.message_id for u in parsed if u.effective_message]
    assert len(ids) == len(set(ids))
    # Fresh dicts every call: mutating one update never leaks into the next.
    one, two = f.text_message(ALICE, "a"), f.text_message(ALICE, "a")
    one["message"]["from"]["first_name"] = "changed"
    assert two["message"]["from"]["first_name"] == ALICE.first_name


@pytest.mark.asyncio
async def test_throughput_many_concurrent_requests(api: FakeBotAPI, bot: Bot) -> None:
    # 10 concurrent senders x 20 sequential sends: the server must not be the bottleneck
    # (it sustains >1000 req/s; PTB/httpx on the client side is the slower half).
    async def sender(worker: int) -> None:
        for i in range(20):
            await bot.send_message(2000 + worker, f"m{i}")

    started = time.monotonic()
    await asyncio.gather(*(sender(w) for w in range(10)))
    elapsed = time.monotonic() - started
    assert len(api.sent) == 200
    assert elapsed < 5, f"200 sends took {elapsed:.2f}s"
    per_chat = await api.wait_messages(2007, 20)
    assert [m.message_id for m in per_chat] == list(range(1, 21))
    assert [m.text for m in per_chat] == [f"m{i}" for i in range(20)]


def test_entity_parsers() -> None:
    text, entities = parse_text("a <b>b<i>c</i></b> &amp; 😀<code>x</code>", "HTML")
    assert text == "a bc & 😀x"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 2},
        {"type": "italic", "offset": 3, "length": 1},
        {"type": "code", "offset": 9, "length": 1},  # the emoji counts 2 UTF-16 units
    ]
    text, entities = parse_text("*粗* _斜_ \\. [链](https://x.org) `a.b`", "MarkdownV2")
    assert text == "粗 斜 . 链 a.b"
    assert [e["type"] for e in entities] == ["bold", "italic", "text_link", "code"]
    with pytest.raises(EntityParseError, match=r"(?i)Can't find end of the entity"):
        parse_text("*open", "MarkdownV2")
    with pytest.raises(EntityParseError, match=r'(?i)expected "</b>"'):
        parse_text("<b>x</i>", "HTML")
    assert parse_text("*b* _i_ plain.", "Markdown") == (
        "b i plain.",
        [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 2, "length": 1}],
    )
