"""A small, strict, in-process Telegram Bot API server for end-to-end tests.

The real :class:`telegram.ext.Application` talks to :class:`FakeBotAPI` over real HTTP
(``ApplicationBuilder().base_url(api.base_url).base_file_url(api.base_file_url)``), so
everything between our handlers and the socket -- PTB's request encoding, JSON parsing,
error mapping, rate limiting, polling loop -- runs exactly as in production.

Design decisions (and why):

* **Own thread, own event loop.**  The tornado server runs in a daemon thread.  A busy
  bot (or a test that blocks its loop) cannot starve the server, a bot in a *subprocess*
  can use it too, and the test-facing API is safe to call from any thread or loop.
  All shared state sits behind one re-entrant lock; request handlers only hold it for
  short, non-awaiting sections.
* **No busy polling.**  Waiting (getUpdates long polls in the server loop, ``wait_for``
  & co. in the test loop) uses :class:`_Signal`, which wakes ``asyncio.Event`` objects
  across loops with ``call_soon_threadsafe``.  Sent-message waiters subscribe per chat so
  a benchmark with hundreds of concurrent waiters does not wake all of them per message.
* **Telegram's dialect, not a lenient mock.**  Requests are parsed the way PTB 22 sends
  them (form fields whose non-string values are JSON, ``multipart/form-data`` for
  uploads with ``attach://`` references), answers use Telegram's envelope and error
  texts, and the cheap validations Telegram performs (lengths after entity parsing,
  HTML/MarkdownV2 syntax, callback_data size, media-group rules, "message is not
  modified", unknown reply targets, double-answered callback queries) are enforced so
  bot bugs surface here rather than in production.
* **Records are consumable.**  ``wait_for``/``wait_messages`` hand out each recorded
  message at most once (unless ``consume=False``), so sequential waits in a test never
  race or see the same reply twice; ``since=api.mark()`` restricts a wait to what was
  sent after a point in time.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import inspect
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from .tg_text import EntityParseError, parse_text

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_SIZE",
    "MAX_TEXT_LENGTH",
    "ApiError",
    "CallRecord",
    "FakeBotAPI",
    "FileRef",
    "InjectedUpdate",
    "SentFile",
    "SentMessage",
    "UploadedFile",
    "WaitTimeout",
]

DEFAULT_TOKEN: Final = "123456789:AAFakeDubanTestToken_0123456789abcdef"

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_PHOTO_UPLOAD: Final = 10 * 1024 * 1024
MAX_UPLOAD: Final = 50 * 1024 * 1024
ALBUM_MIN: Final = 2
ALBUM_MAX: Final = 10

# Update types Telegram delivers when a bot never set allowed_updates (or sent []).
_DEFAULT_ALLOWED_UPDATES: Final = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_ACTIONS: Final = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Parameters PTB sends as raw strings; every other form value is JSON (see PTB's
# RequestParameter.json_value), so decoding those would e.g. turn text "123" into an int.
_STRING_PARAMS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "description",
        "short_description",
        "name",
        "language_code",
        "action",
        "file_id",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "emoji",
        "query",
        "title",
        "first_name",
        "last_name",
        "phone_number",
        "question",
        "vcard",
        "address",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "explanation",
        "explanation_parse_mode",
        "question_parse_mode",
        "custom_emoji_id",
    }
)
_JSON_SCALAR_RE: Final = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_FAULT_DESCRIPTIONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_FILE_PREFIX: Final = {
    "photo": "AgAC",
    "document": "BQAC",
    "video": "BAAC",
    "audio": "CQAC",
    "voice": "AwAC",
    "video_note": "DQAC",
    "sticker": "CAAC",
    "animation": "CgAC",
}
_FILE_DIR: Final = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "audio": "music",
    "voice": "voice",
    "video_note": "video_notes",
    "sticker": "stickers",
    "animation": "animations",
}
_MESSAGE_KEYS: Final = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)

# One counter per test session so file ids never repeat across FakeBotAPI instances.
_file_seq = itertools.count(1)
_T = TypeVar("_T")
JSON = dict[str, Any]


# ======================================================================================
# Public records
# ======================================================================================


class ApiError(Exception):
    """A Telegram error answer: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(
        self, status: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, description)


class WaitTimeout(AssertionError):
    """A ``wait_*`` helper gave up; the message lists what *was* recorded to help debug."""


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file known to the server, e.g. one a test user "sends" (see ``add_file``)."""

    file_id: str
    file_unique_id: str
    file_size: int
    mime_type: str | None = None
    file_name: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One ``multipart/form-data`` file part exactly as the bot uploaded it."""

    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class SentFile:
    """A file the bot sent, either uploaded (``uploaded=True``) or re-sent by file_id."""

    kind: str
    file_id: str
    file_unique_id: str
    file_size: int
    file_name: str | None
    mime_type: str | None
    content: bytes | None
    uploaded: bool


@dataclass(slots=True)
class SentMessage:
    """Something the bot did to a chat: a send*, edit* or deleteMessage call that succeeded.

    ``text``/``caption`` are the raw strings as sent (markup included); ``plain_text`` /
    ``plain_caption`` are what the user sees.  For sendMediaGroup there is one record
    per call: ``message_ids``/``result`` list every album message, ``media`` the
    InputMedia dicts as sent and ``files`` the resolved files in the same order.
    ``time`` is :func:`time.monotonic` at recording (compare with ``InjectedUpdate.time``).
    """

    index: int
    method: str
    chat_id: int | None
    message_id: int | None
    text: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: JSON | None
    media: list[JSON]
    files: list[SentFile]
    params: JSON
    time: float
    result: Any
    message_ids: list[int]
    consumed: bool = field(default=False, repr=False, compare=False)

    @property
    def kind(self) -> Literal["send", "edit", "delete"]:
        if self.method.startswith("edit"):
            return "edit"
        if self.method == "deleteMessage":
            return "delete"
        return "send"

    @property
    def message(self) -> JSON | None:
        """The (first) Message JSON the server answered with, if any."""
        if isinstance(self.result, list):
            return self.result[0] if self.result else None
        return self.result if isinstance(self.result, dict) else None

    @property
    def plain_text(self) -> str | None:
        msg = self.message
        return msg.get("text") if msg else None

    @property
    def plain_caption(self) -> str | None:
        msg = self.message
        return msg.get("caption") if msg else None

    @property
    def buttons(self) -> list[JSON]:
        """All inline keyboard buttons, row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def button(self, text_contains: str) -> JSON:
        """The first inline button whose text contains ``text_contains``."""
        for button in self.buttons:
            if text_contains in button.get("text", ""):
                return button
        raise KeyError(f"no button containing {text_contains!r} in {self.buttons!r}")

    def describe(self) -> str:
        body = self.text if self.text is not None else self.caption
        snippet = "" if body is None else repr(body[:80])
        return f"#{self.index} {self.method} chat={self.chat_id} msg={self.message_id} {snippet}"


@dataclass(slots=True)
class CallRecord:
    """One request the server answered (or dropped: ``status == 0``)."""

    index: int
    method: str
    params: JSON
    files: dict[str, UploadedFile]
    time: float
    status: int
    result: Any
    description: str | None
    fault: str | None
    consumed: bool = field(default=False, repr=False, compare=False)


@dataclass(slots=True)
class InjectedUpdate:
    """An update queued with :meth:`FakeBotAPI.inject` and its delivery timestamps."""

    update_id: int
    type: str
    update: JSON
    time: float
    delivered_at: float | None = None
    confirmed_at: float | None = None
    raw: str = field(default="", repr=False)  # serialized once at injection


# ======================================================================================
# Internals
# ======================================================================================


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes | None  # None: a file we only know the metadata of; served as filler
    size: int
    kind: str | None
    mime_type: str | None
    file_name: str | None
    file_path: str
    width: int | None = None
    height: int | None = None

    def ref(self) -> FileRef:
        return FileRef(
            self.file_id,
            self.file_unique_id,
            self.size,
            self.mime_type,
            self.file_name,
            self.kind,
        )

    def sent(self, uploaded: bool) -> SentFile:
        return SentFile(
            kind=self.kind or "document",
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            file_size=self.size,
            file_name=self.file_name,
            mime_type=self.mime_type,
            content=self.content,
            uploaded=uploaded,
        )


@dataclass(slots=True)
class _Fault:
    kind: Literal["fail", "delay", "drop"]
    method: str  # lower-case method name or "*"
    remaining: int
    chat_id: int | str | None = None
    status: int = 429
    description: str | None = None
    retry_after: int | None = None
    parameters: JSON | None = None
    body: bytes | None = None
    seconds: float = 0.0
    process: bool = False

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.remaining <= 0:
            return False
        if self.method == "*":
            # The wildcard spares getUpdates: failing the polling loop is rarely the
            # intent and would make "*" faults fire before the method under test.
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(slots=True)
class _Request:
    method: str
    params: JSON
    uploads: dict[str, UploadedFile]
    handler: _ApiHandler | None = None
    sent_files: list[SentFile] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _RawJSON:
    """A getUpdates result that is already serialized JSON, plus its update ids."""

    text: str
    update_ids: list[int]


@dataclass(slots=True, eq=False)  # identity hash: subscriptions live in sets
class _Sub:
    key: Hashable | None
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event


class _Signal:
    """Wakes ``asyncio.Event`` waiters living in any thread's loop, optionally by key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[Hashable | None, set[_Sub]] = {}

    def subscribe(self, key: Hashable | None = None) -> _Sub:
        sub = _Sub(key, asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._subs.setdefault(key, set()).add(sub)  # type: ignore[arg-type]
        return sub

    def unsubscribe(self, sub: _Sub) -> None:
        with self._lock:
            subs = self._subs.get(sub.key)
            if subs is not None:
                subs.discard(sub)  # type: ignore[arg-type]
                if not subs:
                    del self._subs[sub.key]

    def notify(self, key: Hashable | None = None, *, everyone: bool = False) -> None:
        """Wake subscribers of ``key`` plus the wildcard ones (or all of them)."""
        with self._lock:
            if everyone:
                targets = [s for subs in self._subs.values() for s in subs]
            else:
                targets = list(self._subs.get(None, ()))
                if key is not None:
                    targets.extend(self._subs.get(key, ()))
        if not targets:
            return
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Event]] = {}
        for sub in targets:
            by_loop.setdefault(sub.loop, []).append(sub.event)
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, events in by_loop.items():
            if loop is current:
                _set_all(events)
            else:
                # One callback per loop, not per waiter; a closed loop has no waiters left.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_set_all, events)


def _set_all(events: list[asyncio.Event]) -> None:
    for event in events:
        event.set()


async def _wait_until(
    signal: _Signal, key: Hashable | None, check: Callable[[], _T | None], seconds: float
) -> _T | None:
    """Return ``check()`` once it is not None, re-checking on every notification."""
    sub = signal.subscribe(key)
    loop = sub.loop
    deadline = loop.time() + seconds
    try:
        while True:
            sub.event.clear()  # before checking, so a notification racing us is not lost
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await sub.event.wait()
    finally:
        signal.unsubscribe(sub)


def _decode_param(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    if value[:1] in ("{", "[") or _JSON_SCALAR_RE.fullmatch(value):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _parse_request(req: Any) -> tuple[JSON, dict[str, UploadedFile]]:
    """Read query string, form / multipart fields or a JSON body into typed params."""
    params: JSON = {}
    for key, values in req.query_arguments.items():
        if values:
            params[key] = _decode_param(key, values[-1].decode("utf-8", "replace"))
    content_type = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = json.loads(req.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        for key, value in body.items():
            params[key] = _decode_param(key, value) if isinstance(value, str) else value
    else:
        # tornado already split application/x-www-form-urlencoded and multipart bodies.
        for key, values in req.body_arguments.items():
            if values:
                params[key] = _decode_param(key, values[-1].decode("utf-8", "replace"))
    uploads = {
        name: UploadedFile(name, parts[-1].filename, parts[-1].content_type, parts[-1].body)
        for name, parts in req.files.items()
        if parts
    }
    return params, uploads


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG/JPEG/GIF/BMP/WEBP; None if it is not an image at all."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return 512, 512
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + length
        return 800, 600
    return None


def _filler(size: int) -> bytes:
    pattern = b"duban-fake-telegram-file\n"
    return (pattern * (size // len(pattern) + 1))[:size]


def _guess_ext(file_name: str | None, mime_type: str | None, kind: str) -> str:
    if file_name and "." in file_name:
        return file_name.rsplit(".", 1)[1].lower()
    if mime_type and "/" in mime_type:
        return mime_type.split("/", 1)[1].split("+")[0]
    return {"photo": "jpg", "voice": "oga", "video_note": "mp4", "sticker": "webp"}.get(kind, "bin")


@dataclass(frozen=True, slots=True)
class _MethodSpec:
    name: str
    func: Callable[..., Any]
    records: bool
    is_async: bool


_METHODS: dict[str, _MethodSpec] = {}
_F = TypeVar("_F", bound=Callable[..., Any])


def _api_method(name: str, *, records: bool = False) -> Callable[[_F], _F]:
    """Register a handler; ``records`` adds successful calls to ``FakeBotAPI.sent``."""

    def decorate(func: _F) -> _F:
        _METHODS[name.lower()] = _MethodSpec(name, func, records, inspect.iscoroutinefunction(func))
        return func

    return decorate


# ======================================================================================
# Tornado plumbing
# ======================================================================================


class _ApiHandler(tornado.web.RequestHandler):
    """``/bot<token>/<method>``: delegates to FakeBotAPI; tracks client disconnects."""

    def initialize(self, api: FakeBotAPI) -> None:
        self.api = api
        self.closed = False
        self.wake: asyncio.Event | None = None

    def on_connection_close(self) -> None:
        # A cancelled long poll (e.g. Updater.stop()) must not linger until its timeout.
        self.closed = True
        if self.wake is not None:
            self.wake.set()

    async def get(self, token: str, method: str) -> None:
        await self.api._handle_api(self, token, method)

    async def post(self, token: str, method: str) -> None:
        await self.api._handle_api(self, token, method)


class _FileHandler(tornado.web.RequestHandler):
    """``/file/bot<token>/<file_path>``: serves file bytes like Telegram's file host."""

    def initialize(self, api: FakeBotAPI) -> None:
        self.api = api

    async def get(self, token: str, path: str) -> None:
        await self.api._handle_download(self, token, path)


class _NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))


# ======================================================================================
# The server
# ======================================================================================


class FakeBotAPI:
    """Telegram Bot API look-alike on ``127.0.0.1`` running in a background thread.

    Use ``async with FakeBotAPI() as api`` (or ``with``, or ``start()``/``stop()``), then
    build the bot with ``base_url=api.base_url, base_file_url=api.base_file_url``.
    State (queued updates, messages, files, records) survives ``stop()``/``start()``,
    which rebinds the same port -- handy for simulating an outage.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "duban_test_bot",
        bot_first_name: str = "督办测试",
        port: int = 0,
        unknown_method_status: int = 400,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456789
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._unknown_method_status = unknown_method_status
        self._port = port
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopping = False

        self._update_signal = _Signal()  # server loop: long polls
        self._confirm_signal = _Signal()  # test loops: wait_idle
        self._sent_signal = _Signal()  # test loops: keyed by chat id
        self._call_signal = _Signal()  # test loops: keyed by method

        self._updates: list[InjectedUpdate] = []  # unconfirmed, ascending update_id
        self._injected: list[InjectedUpdate] = []
        self._dropped_updates: list[InjectedUpdate] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._webhook: JSON | None = None
        self._webhook_route: str | None = None  # see route_webhook()
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_answers: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)

        self._messages: dict[tuple[int, int], JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._chats: dict[int, JSON] = {}
        self._chat_aliases: dict[str, int] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._photo_sets: dict[str, list[JSON]] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[str, JSON] = {}  # chat id ("" = the default) -> button
        self._media_group_seq = itertools.count(13_000_000_000_000_000)

        self._sent: list[SentMessage] = []
        self._sent_by_chat: dict[int | None, list[SentMessage]] = {}
        self._calls: list[CallRecord] = []
        self._generation = 0  # bumped by clear() so cursors of running waits reset
        self._faults: list[_Fault] = []
        self._stubs: dict[str, _MethodSpec] = {}
        self._deleted: set[tuple[int, int]] = set()

    # ---------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: PTB appends ``<token>/<method>``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``: PTB appends ``<token>/<file_path>``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> Self:
        """Start the server thread and block (briefly) until the socket is bound."""
        if self.running:
            return self
        self._ready.clear()
        self._startup_error = None
        self._stopping = False
        self._thread = threading.Thread(target=self._thread_main, name="FakeBotAPI", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("FakeBotAPI did not start in time")
        if self._startup_error is not None:
            raise RuntimeError("FakeBotAPI failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (pending long polls are answered) and join the thread."""
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and stop_event is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout)
        self._thread = None

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced by start(); re-raising would only warn
            self._startup_error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z0-9_]+)/?", _ApiHandler, {"api": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self}),
                (r".*", _NotFoundHandler),
            ],
            log_function=lambda _handler: None,  # no access log noise in test output
        )
        sockets = tornado.netutil.bind_sockets(self._port, "127.0.0.1", family=socket.AF_INET)
        server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_UPLOAD + 1024 * 1024)
        server.add_sockets(sockets)
        self._port = sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            self._stopping = True
            server.stop()
            self._update_signal.notify(everyone=True)  # answer waiting long polls
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await server.close_all_connections()
            self._loop = None

    async def _sleep(self, seconds: float) -> None:
        """Sleep in the server loop, cut short by stop()."""
        assert self._stop_event is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop_event.wait()

    # ---------------------------------------------------------------- HTTP entry points

    async def _handle_api(self, handler: _ApiHandler, token: str, method_raw: str) -> None:
        if token != self.token:
            await self._respond(handler, ApiError(401, "Unauthorized").body(), 401)
            return
        spec = self._stubs.get(method_raw.lower()) or _METHODS.get(method_raw.lower())
        name = spec.name if spec else method_raw
        try:
            params, uploads = _parse_request(handler.request)
        except ValueError:
            err = _bad("Bad Request: can't parse request body")
            self._record_call(name, {}, {}, err.status, None, err.description, None)
            await self._respond(handler, err.body(), err.status)
            return
        req = _Request(name, params, uploads, handler)
        delay, fault = self._take_faults(name.lower(), params.get("chat_id"))
        if delay is not None:
            await self._sleep(delay.seconds)
        if fault is not None:
            if fault.process and spec is not None:
                # "It worked but the answer was lost": execute, then misbehave.
                with contextlib.suppress(ApiError):
                    await self._execute(spec, req)
            if fault.kind == "drop":
                self._record_call(name, params, uploads, 0, None, None, "drop")
                handler.detach().close()  # close the socket without any HTTP response
            else:
                await self._respond_fault(handler, req, fault)
            return
        if spec is None:
            status = self._unknown_method_status
            description = "Bad Request: method not found" if status == 400 else "Not Found"
            self._record_call(name, params, uploads, status, None, description, None)
            await self._respond(handler, ApiError(status, description).body(), status)
            return
        try:
            try:
                result = await self._execute(spec, req)
            except (KeyError, TypeError, ValueError) as exc:
                # Malformed parameters (e.g. a non-numeric message_id): Telegram says 400.
                raise _bad(f"Bad Request: invalid parameters: {exc!r}") from exc
        except ApiError as err:
            self._record_call(name, params, uploads, err.status, None, err.description, None)
            await self._respond(handler, err.body(), err.status)
            return
        if isinstance(result, _RawJSON):
            self._record_call(name, params, uploads, 200, result.update_ids, None, None)
            body: str | JSON = f'{{"ok":true,"result":{result.text}}}'
        else:
            self._record_call(name, params, uploads, 200, result, None, None)
            body = {"ok": True, "result": result}
        await self._respond(handler, body, 200)

    async def _execute(self, spec: _MethodSpec, req: _Request) -> Any:
        """Run a method handler (raises ApiError); records sent messages on success."""
        if spec.is_async:
            return await spec.func(self, req)
        with self._lock:
            result = spec.func(self, req)
            if spec.records:
                self._record_sent(req, result)
        return result

    async def _respond_fault(self, handler: _ApiHandler, req: _Request, fault: _Fault) -> None:
        status = fault.status
        description = fault.description or _FAULT_DESCRIPTIONS.get(status, "Error")
        parameters = dict(fault.parameters or {})
        if status == 429:
            retry_after = fault.retry_after if fault.retry_after is not None else 1
            parameters.setdefault("retry_after", retry_after)
            if fault.description is None:
                description = f"Too Many Requests: retry after {retry_after}"
        elif fault.retry_after is not None:
            parameters.setdefault("retry_after", fault.retry_after)
        self._record_call(req.method, req.params, req.uploads, status, None, description, "fail")
        if fault.body is not None:
            await self._respond(handler, fault.body, status, content_type="text/html")
            return
        await self._respond(handler, ApiError(status, description, parameters).body(), status)

    async def _respond(
        self,
        handler: tornado.web.RequestHandler,
        body: str | bytes | JSON,
        status: int,
        content_type: str = "application/json",
    ) -> None:
        handler.set_status(status)
        handler.set_header("Content-Type", content_type)
        payload = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
        # The client may be gone (cancelled long poll, timeout): nothing left to do then.
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            await handler.finish(payload)

    async def _handle_download(self, handler: _FileHandler, token: str, path: str) -> None:
        if token != self.token:
            await self._respond(handler, ApiError(401, "Unauthorized").body(), 401)
            return
        delay, fault = self._take_faults("download", None)
        if delay is not None:
            await self._sleep(delay.seconds)
        if fault is not None:
            self._record_call(
                "download",
                {"file_path": path},
                {},
                fault.status,
                None,
                fault.description,
                fault.kind,
            )
            if fault.kind == "drop":
                handler.detach().close()
                return
            description = fault.description or _FAULT_DESCRIPTIONS.get(fault.status, "Error")
            await self._respond(handler, ApiError(fault.status, description).body(), fault.status)
            return
        with self._lock:
            stored = self._files_by_path.get(path)
            found = stored is not None and stored.size <= MAX_DOWNLOAD_SIZE
            status = 200 if found else 404
            self._record_call("download", {"file_path": path}, {}, status, None, None, None)
        if stored is None or not found:
            await self._respond(handler, ApiError(404, "Not Found").body(), 404)
            return
        content = stored.content if stored.content is not None else _filler(stored.size)
        await self._respond(handler, content, 200, content_type="application/octet-stream")

    # ---------------------------------------------------------------- recording

    def _record_call(
        self,
        method: str,
        params: JSON,
        uploads: dict[str, UploadedFile],
        status: int,
        result: Any,
        description: str | None,
        fault: str | None,
    ) -> None:
        with self._lock:
            record = CallRecord(
                index=len(self._calls),
                method=method,
                params=params,
                files=uploads,
                time=time.monotonic(),
                status=status,
                result=result,
                description=description,
                fault=fault,
            )
            self._calls.append(record)
        self._call_signal.notify(method)

    def _record_sent(self, req: _Request, result: Any) -> None:
        params = req.params
        message = result[0] if isinstance(result, list) and result else result
        if isinstance(message, dict):
            chat_id: int | None = message["chat"]["id"]
            message_id: int | None = message["message_id"]
        else:
            chat_id = self._try_resolve_chat(params.get("chat_id"))
            raw_id = params.get("message_id")
            message_id = raw_id if isinstance(raw_id, int) else None
        media = params.get("media")
        caption = params.get("caption")
        if isinstance(media, list):
            caption = caption or next(
                (m.get("caption") for m in media if isinstance(m, dict) and m.get("caption")),
                None,
            )
        markup = params.get("reply_markup")
        record = SentMessage(
            index=len(self._sent),
            method=req.method,
            chat_id=chat_id,
            message_id=message_id,
            text=params.get("text"),
            caption=caption,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup if isinstance(markup, dict) else None,
            media=[m for m in media if isinstance(m, dict)] if isinstance(media, list) else [],
            files=list(req.sent_files),
            params=params,
            time=time.monotonic(),
            result=result,
            message_ids=(
                [m["message_id"] for m in result]
                if isinstance(result, list)
                else [message_id]
                if message_id is not None
                else []
            ),
        )
        self._sent.append(record)
        self._sent_by_chat.setdefault(chat_id, []).append(record)
        self._sent_signal.notify(chat_id)

    # ---------------------------------------------------------------- faults

    def _take_faults(self, method: str, raw_chat_id: Any) -> tuple[_Fault | None, _Fault | None]:
        chat_id = self._try_resolve_chat(raw_chat_id)
        with self._lock:
            delay = next(
                (f for f in self._faults if f.kind == "delay" and f.matches(method, chat_id)),
                None,
            )
            fault = next(
                (f for f in self._faults if f.kind != "delay" and f.matches(method, chat_id)),
                None,
            )
            for taken in (delay, fault):
                if taken is not None:
                    taken.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining > 0]
        return delay, fault

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
        parameters: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        process: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error.

        ``status=429`` yields Telegram's flood answer (``parameters.retry_after``,
        default 1 s) -> PTB raises ``RetryAfter``.  ``method="*"`` matches every method
        but getUpdates; ``"download"`` matches file downloads.  ``chat_id`` restricts
        the fault to one chat (e.g. ``status=403`` = that user blocked the bot).
        ``body`` sends a raw non-JSON body (like a proxy's HTML 502 page).
        ``process=True`` still executes the call (the "error after it worked" case).
        """
        self._add_fault(
            _Fault(
                "fail",
                method.lower(),
                times,
                chat_id,
                status,
                description,
                retry_after,
                dict(parameters) if parameters else None,
                body,
                process=process,
            )
        )

    def delay(
        self, method: str, seconds: float, times: int = 1, *, chat_id: int | str | None = None
    ) -> None:
        """Hold the next ``times`` calls of ``method`` for ``seconds`` before executing
        them.  They execute even if the client gave up meanwhile, as Telegram would."""
        self._add_fault(_Fault("delay", method.lower(), times, chat_id, seconds=seconds))

    def drop_next(
        self,
        method: str,
        times: int = 1,
        *,
        chat_id: int | str | None = None,
        process: bool = False,
    ) -> None:
        """Close the connection of the next ``times`` calls without answering.

        ``process=True`` executes the call first (message sent, answer lost)."""
        self._add_fault(_Fault("drop", method.lower(), times, chat_id, process=process))

    def stub(self, method: str, result: Any = True) -> None:
        """Answer ``method`` with ``result`` -- for methods the server does not model
        (or to override one).  A callable ``result`` receives the decoded params dict
        and may raise :class:`ApiError` to answer with an error instead."""

        def call(api: FakeBotAPI, req: _Request) -> Any:
            value = result(req.params) if callable(result) else result
            return json.loads(json.dumps(value))  # JSON-safe and never aliased

        with self._lock:
            self._stubs[method.lower()] = _MethodSpec(method, call, False, False)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    # ---------------------------------------------------------------- updates (test side)

    def inject(self, update: dict[str, Any]) -> int:
        """Queue ``update`` for getUpdates; returns its update_id.

        The dict is completed in place (``update_id``; a message_id already used in that
        chat is renumbered) and then snapshotted, so later mutation has no effect.  Chats,
        files and callback query ids it mentions become known to the server; a callback
        query's ``message`` is replaced by the current state of that bot message.
        """
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            update_id = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, update_id + 1)
            self._register_update(update)
            kind = next((k for k in update if k != "update_id"), "unknown")
            raw = json.dumps(update, ensure_ascii=False)
            record = InjectedUpdate(update_id, kind, json.loads(raw), time.monotonic(), raw=raw)
            self._injected.append(record)
            if self._updates and self._updates[-1].update_id >= update_id:
                bisect.insort(self._updates, record, key=lambda u: u.update_id)
            else:
                self._updates.append(record)
        self._update_signal.notify()
        return update_id

    def redeliver(self, update_id: int) -> int:
        """Queue an already injected update again, unchanged but for a new update_id.

        This is what a bot sees when Telegram hands out a batch whose confirmation was
        lost in a crash: the same message a second time.
        """
        with self._lock:
            original = next(r for r in self._injected if r.update_id == update_id)
            new_id = self._next_update_id
            self._next_update_id += 1
            update = json.loads(original.raw)
            update["update_id"] = new_id
            raw = json.dumps(update, ensure_ascii=False)
            record = InjectedUpdate(new_id, original.type, update, time.monotonic(), raw=raw)
            self._injected.append(record)
            self._updates.append(record)
        self._update_signal.notify()
        return new_id

    def route_webhook(self, base_url: str | None) -> None:
        """Deliver updates to a webhook the bot set, as Telegram does, at ``base_url``.

        Telegram only calls https URLs; a bot under test listens on plain http on
        loopback, so the registered URL's path is POSTed to ``base_url`` (e.g.
        ``http://127.0.0.1:8443``) instead of its host. Each update is POSTed (with the
        secret-token header) until the bot answers 2xx; a non-2xx answer or a dropped
        connection means it is sent again, after a short backoff. Only then is it
        confirmed, and the next one sent.
        """
        with self._lock:
            self._webhook_route = base_url
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._ensure_webhook_task)
        self._update_signal.notify()

    @property
    def webhook_answers(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status; 0 for a dropped connection) of every webhook call."""
        with self._lock:
            return list(self._webhook_answers)

    def _ensure_webhook_task(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.ensure_future(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        from urllib.parse import urlsplit

        import tornado.httpclient

        client = tornado.httpclient.AsyncHTTPClient()
        delay = 0.1
        while not self._stopping:
            with self._lock:
                hook, route = self._webhook, self._webhook_route
            batch = self._take_updates(1) if hook is not None and route else []
            if not batch or hook is None or route is None:
                sub = self._update_signal.subscribe()
                try:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.2):
                            await sub.event.wait()
                finally:
                    self._update_signal.unsubscribe(sub)
                continue
            update = batch[0]
            headers = {"Content-Type": "application/json"}
            if hook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
            url = route.rstrip("/") + (urlsplit(str(hook["url"])).path or "/")
            with self._lock:
                if update.delivered_at is None:
                    update.delivered_at = time.monotonic()
            try:
                answer = await client.fetch(
                    url,
                    method="POST",
                    body=update.raw,
                    headers=headers,
                    raise_error=False,
                    request_timeout=30,
                )
                status = int(answer.code) if answer.code != 599 else 0
            except Exception:  # refused or dropped: Telegram tries again later
                status = 0
            with self._lock:
                self._webhook_answers.append((update.update_id, status))
            if 200 <= status < 300:
                delay = 0.1
                now = time.monotonic()
                with self._lock:
                    update.confirmed_at = now
                    self._updates = [u for u in self._updates if u is not update]
                self._confirm_signal.notify()
            else:
                await self._sleep(delay)
                delay = min(2.0, delay * 2)

    def inject_many(self, updates: Iterable[dict[str, Any]]) -> list[int]:
        return [self.inject(update) for update in updates]

    @property
    def pending_updates(self) -> int:
        """Injected updates the bot has not confirmed yet (Telegram's pending_update_count)."""
        with self._lock:
            return len(self._updates)

    @property
    def injected(self) -> list[InjectedUpdate]:
        with self._lock:
            return list(self._injected)

    @property
    def dropped_updates(self) -> list[InjectedUpdate]:
        """Updates discarded because the bot's allowed_updates excluded their type."""
        with self._lock:
            return list(self._dropped_updates)

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a wait deadline is the point
        """Wait until every injected update was fetched *and* confirmed by the bot."""

        def check() -> bool | None:
            with self._lock:
                return True if not self._updates else None

        if await _wait_until(self._confirm_signal, None, check, timeout) is None:
            raise WaitTimeout(f"{self.pending_updates} update(s) still unconfirmed")

    def _register_update(self, update: dict[str, Any]) -> None:
        for key in _MESSAGE_KEYS:
            message = update.get(key)
            if isinstance(message, dict):
                self._register_message(message, new=not key.startswith("edited"))
        query = update.get("callback_query")
        if isinstance(query, dict):
            self._callback_queries.setdefault(str(query.get("id")), False)
            message = query.get("message")
            if isinstance(message, dict) and "chat" in message:
                ident = (int(message["chat"]["id"]), int(message["message_id"]))
                current = self._messages.get(ident)
                if current is not None:
                    query["message"] = json.loads(json.dumps(current))
                elif ident in self._deleted:
                    pass  # keep the caller's copy; a deleted message must stay deleted
                elif (message.get("from") or {}).get("id") == self.bot_id:
                    self._register_message(message, new=True)
                else:
                    raise ValueError(
                        "callback_query.message must be a message the bot sent "
                        "(pass the SentMessage to the callback_query factory)"
                    )
        for key in ("my_chat_member", "chat_member", "chat_join_request"):
            member = update.get(key)
            if isinstance(member, dict) and isinstance(member.get("chat"), dict):
                self._remember_chat(member["chat"])

    def _register_message(self, message: dict[str, Any], *, new: bool) -> None:
        chat = message.get("chat")
        if not isinstance(chat, dict) or "message_id" not in message:
            return
        self._remember_chat(chat)
        chat_id = int(chat["id"])
        message_id = int(message["message_id"])
        if new and (chat_id, message_id) in self._messages:
            # Factories number messages globally while we number bot messages per chat;
            # keep ids unique per chat like Telegram does.
            message_id = self._alloc_message_id(chat_id)
            message["message_id"] = message_id
        else:
            self._next_message_id[chat_id] = max(
                self._next_message_id.get(chat_id, 1), message_id + 1
            )
        self._messages[(chat_id, message_id)] = json.loads(json.dumps(message))
        for kind in ("document", "voice", "video_note", "sticker", "audio", "video", "animation"):
            if isinstance(message.get(kind), dict):
                self._remember_file(message[kind], kind)
        photo = message.get("photo")
        if isinstance(photo, list) and photo:
            for size in photo:
                self._remember_file(size, "photo")
            sizes = json.loads(json.dumps(photo))  # never alias the caller's list
            for size in sizes:
                self._photo_sets.setdefault(size["file_id"], sizes)
        reply = message.get("reply_to_message")
        if isinstance(reply, dict) and isinstance(reply.get("chat"), dict):
            ident = (int(reply["chat"]["id"]), int(reply.get("message_id", 0)))
            if ident not in self._messages:
                self._messages[ident] = json.loads(json.dumps(reply))

    def _remember_chat(self, chat: Mapping[str, Any]) -> None:
        chat_id = int(chat["id"])
        self._chats[chat_id] = {**self._chats.get(chat_id, {}), **chat}
        if chat.get("username"):
            self._chat_aliases["@" + str(chat["username"]).lower()] = chat_id

    def _remember_file(self, obj: Mapping[str, Any], kind: str) -> None:
        file_id = obj.get("file_id")
        if not isinstance(file_id, str):
            return
        stored = self._files.get(file_id)
        if stored is None:
            self._new_file(
                content=None,
                size=int(obj.get("file_size") or 1024),
                kind=kind,
                mime_type=obj.get("mime_type"),
                file_name=obj.get("file_name"),
                file_id=file_id,
                file_unique_id=obj.get("file_unique_id"),
                width=obj.get("width"),
                height=obj.get("height"),
            )
        elif stored.kind is None:
            stored.kind = kind  # now we know how the user sent it

    # ---------------------------------------------------------------- files (test side)

    def add_file(
        self,
        content: bytes,
        *,
        file_unique_id: str | None = None,
        mime_type: str | None = None,
        file_name: str | None = None,
        declared_size: int | None = None,
        kind: str | None = None,
    ) -> FileRef:
        """Register a file a user "sends"; getFile and the download path serve it.

        ``declared_size`` overrides the size getFile reports (e.g. 25 MiB to provoke
        "file is too big" without allocating it).  ``kind`` ("photo", "document", ...)
        enables Telegram's file-type check when the bot re-sends it by file_id; it is
        inferred from the first injected update that uses the file if left None.
        """
        with self._lock:
            stored = self._new_file(
                content=bytes(content),
                size=declared_size if declared_size is not None else len(content),
                kind=kind,
                mime_type=mime_type,
                file_name=file_name,
                file_unique_id=file_unique_id,
            )
            if kind == "photo" and (dims := _image_size(content)) is not None:
                stored.width, stored.height = dims
            return stored.ref()

    def file_content(self, file_id: str) -> bytes | None:
        """Bytes of a known file (uploads by the bot included); None if only metadata."""
        with self._lock:
            stored = self._files.get(file_id)
            return None if stored is None else stored.content

    def _new_file(
        self,
        *,
        content: bytes | None,
        size: int,
        kind: str | None,
        mime_type: str | None,
        file_name: str | None,
        file_id: str | None = None,
        file_unique_id: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> _StoredFile:
        seq = next(_file_seq)
        prefix = _FILE_PREFIX.get(kind or "document", "BQAC")
        ext = _guess_ext(file_name, mime_type, kind or "document")
        stored = _StoredFile(
            file_id=file_id or f"{prefix}AgADfake{seq:08d}{self.bot_id % 10000:04d}",
            file_unique_id=file_unique_id or f"AQAD{seq:08d}",
            content=content,
            size=size,
            kind=kind,
            mime_type=mime_type,
            file_name=file_name,
            file_path=f"{_FILE_DIR.get(kind or 'document', 'documents')}/file_{seq}.{ext}",
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ---------------------------------------------------------------- records (test side)

    @property
    def sent(self) -> list[SentMessage]:
        """Snapshot of everything the bot sent/edited/deleted, oldest first."""
        with self._lock:
            return list(self._sent)

    @property
    def calls(self) -> list[CallRecord]:
        """Snapshot of every answered (or dropped) request, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[CallRecord]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def mark(self) -> int:
        """A cursor for ``since=``: only records made after this call will match."""
        with self._lock:
            return len(self._sent)

    def mark_calls(self) -> int:
        with self._lock:
            return len(self._calls)

    def messages_to(self, chat_id: int, *, include_edits: bool = False) -> list[SentMessage]:
        """All records for ``chat_id`` (consumed or not); sends only unless asked."""
        with self._lock:
            records = list(self._sent_by_chat.get(chat_id, ()))
        return [r for r in records if include_edits or r.kind == "send"]

    def clear(self) -> None:
        """Forget sent/call records (and consumption); chats, messages, files stay."""
        with self._lock:
            self._sent.clear()
            self._sent_by_chat.clear()
            self._calls.clear()
            self._generation += 1
        self._sent_signal.notify(everyone=True)
        self._call_signal.notify(everyone=True)

    def current_message(self, chat_id: int, message_id: int) -> JSON | None:
        """The server's current version of a message (after edits), or None if deleted."""
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            return None if message is None else json.loads(json.dumps(message))

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSON]:
        """Commands stored by setMyCommands for ``scope`` (default scope) and language."""
        with self._lock:
            return list(self._commands.get((self._scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> JSON:
        """The menu button setChatMenuButton left for a private chat (or the default)."""
        with self._lock:
            key = "" if chat_id is None else str(chat_id)
            return dict(self._menu_buttons.get(key) or {"type": "commands"})

    @property
    def webhook(self) -> JSON | None:
        with self._lock:
            return None if self._webhook is None else dict(self._webhook)

    def callback_answers(self) -> list[CallRecord]:
        return self.calls_to("answerCallbackQuery")

    # ---------------------------------------------------------------- waiting (test side)

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        chat_id: int | None = None,
        method: str | tuple[str, ...] | None = None,
        contains: str | None = None,
        since: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a wait deadline is the point
        consume: bool = True,
    ) -> SentMessage:
        """The oldest not-yet-consumed record matching every given filter.

        Waits (without polling) until one exists.  ``contains`` searches raw and rendered
        text/caption.  With ``consume=True`` the record is marked so no later wait
        returns it again; ``since`` (from :meth:`mark`) ignores older records.
        """
        match = self._matcher(predicate, method, contains, None)
        found = await self._wait_records(chat_id, match, since, timeout, consume, 1)
        if not found:
            raise WaitTimeout(self._timeout_text("a matching message", chat_id, since))
        return found[0]

    async def wait_messages(
        self,
        chat_id: int,
        count: int,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a wait deadline is the point
        since: int | None = None,
        include_edits: bool = False,
        method: str | tuple[str, ...] | None = None,
    ) -> list[SentMessage]:
        """The next ``count`` unconsumed send* records to ``chat_id`` (an album = one)."""
        kinds = ("send", "edit") if include_edits else ("send",)
        match = self._matcher(None, method, None, kinds)
        found = await self._wait_records(chat_id, match, since, timeout, True, count)
        if len(found) < count:
            raise WaitTimeout(
                self._timeout_text(f"{count} message(s), got {len(found)}", chat_id, since)
            )
        return found

    async def assert_quiet(
        self, chat_id: int | None = None, *, seconds: float = 0.3, since: int | None = None
    ) -> None:
        """Fail if any unconsumed record (send, edit or delete) to ``chat_id`` (any chat
        if None) exists or appears within ``seconds``.  With ``since``, records made
        before that cursor are ignored and consumed ones count too."""

        def match(record: SentMessage) -> bool:
            return since is not None or not record.consumed

        found = await self._wait_records(chat_id, match, since, seconds, False, 1)
        if found:
            raise AssertionError(f"expected silence, but the bot did: {found[0].describe()}")

    async def wait_call(
        self,
        method: str,
        predicate: Callable[[CallRecord], bool] | None = None,
        *,
        since: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a wait deadline is the point
        consume: bool = True,
        ok_only: bool = False,
    ) -> CallRecord:
        """The oldest unconsumed answered call of ``method`` (see :meth:`mark_calls`)."""
        pos = since or 0
        generation = self._generation

        def check() -> CallRecord | None:
            nonlocal pos, generation
            with self._lock:
                if generation != self._generation:
                    pos, generation = 0, self._generation
                while pos < len(self._calls):
                    call = self._calls[pos]
                    pos += 1
                    if (
                        call.method == method
                        and not (consume and call.consumed)
                        and (not ok_only or call.status == 200)
                        and (predicate is None or predicate(call))
                    ):
                        if consume:
                            call.consumed = True
                        return call
            return None

        call = await _wait_until(self._call_signal, method, check, timeout)
        if call is None:
            raise WaitTimeout(f"no {method} call within {timeout}s")
        return call

    def _matcher(
        self,
        predicate: Callable[[SentMessage], bool] | None,
        method: str | tuple[str, ...] | None,
        contains: str | None,
        kinds: tuple[str, ...] | None,
    ) -> Callable[[SentMessage], bool]:
        methods = (method,) if isinstance(method, str) else method

        def match(record: SentMessage) -> bool:
            if methods is not None and record.method not in methods:
                return False
            if kinds is not None and record.kind not in kinds:
                return False
            if contains is not None:
                haystack = (record.text, record.caption, record.plain_text, record.plain_caption)
                if not any(contains in h for h in haystack if h):
                    return False
            return predicate is None or predicate(record)

        return match

    async def _wait_records(
        self,
        chat_id: int | None,
        match: Callable[[SentMessage], bool],
        since: int | None,
        seconds: float,
        consume: bool,
        count: int,
    ) -> list[SentMessage]:
        found: list[SentMessage] = []
        pos = 0
        generation = self._generation
        first = since or 0

        def check() -> list[SentMessage] | None:
            nonlocal pos, generation
            with self._lock:
                if generation != self._generation:
                    pos, generation = 0, self._generation
                records = self._sent if chat_id is None else self._sent_by_chat.get(chat_id, [])
                # Scanning resumes where it stopped: a record that did not match cannot
                # match later (predicates are fixed, consumption is irreversible).
                while pos < len(records) and len(found) < count:
                    record = records[pos]
                    pos += 1
                    if record.index < first or (consume and record.consumed):
                        continue
                    if match(record):
                        if consume:
                            record.consumed = True
                        found.append(record)
            return found if len(found) >= count else None

        await _wait_until(self._sent_signal, chat_id, check, seconds)
        return found

    def _timeout_text(self, what: str, chat_id: int | None, since: int | None) -> str:
        with self._lock:
            pool = self._sent if chat_id is None else self._sent_by_chat.get(chat_id, [])
            recent = [r for r in pool if r.index >= (since or 0)][-10:]
        where = "any chat" if chat_id is None else f"chat {chat_id}"
        listing = "\n  ".join(
            f"{r.describe()}{' (consumed)' if r.consumed else ''}" for r in recent
        )
        return f"timed out waiting for {what} in {where}; recent records:\n  {listing or '-'}"

    # ---------------------------------------------------------------- helpers (server side)

    def _try_resolve_chat(self, raw: Any) -> int | None:
        try:
            return self._resolve_chat(raw)
        except ApiError:
            return None

    def _resolve_chat(self, raw: Any) -> int:
        if isinstance(raw, bool) or raw is None or raw == "":
            raise _bad("Bad Request: chat_id is empty")
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if text.startswith("@"):
            with self._lock:
                alias = text.lower()
                if alias not in self._chat_aliases:
                    # An unknown public username: model it as a channel with a fresh id.
                    new_id = -1009000000000 - len(self._chat_aliases)
                    self._chat_aliases[alias] = new_id
                    self._chats[new_id] = {
                        "id": new_id,
                        "type": "channel",
                        "title": text[1:],
                        "username": text[1:],
                    }
                return self._chat_aliases[alias]
        raise _bad("Bad Request: chat not found")

    def _chat_dict(self, chat_id: int) -> JSON:
        known = self._chats.get(chat_id)
        if known is not None:
            return {
                k: v
                for k, v in known.items()
                if k in ("id", "type", "title", "username", "first_name", "last_name", "is_forum")
            }
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _alloc_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        while (chat_id, message_id) in self._messages:
            message_id += 1
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _render(self, text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSON]]:
        if entities is not None and not isinstance(entities, list):
            raise _bad("Bad Request: can't parse entities JSON object")
        try:
            return parse_text(text, parse_mode if isinstance(parse_mode, str) else None, entities)
        except EntityParseError as exc:
            raise _bad(f"Bad Request: can't parse entities: {exc}") from None
        except ValueError:
            raise _bad("Bad Request: unsupported parse_mode") from None

    def _caption(self, params: JSON, caption_key: str = "caption") -> tuple[str | None, list[JSON]]:
        raw = params.get(caption_key)
        if raw is None or raw == "":
            return None, []
        plain, entities = self._render(
            str(raw), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(plain) > MAX_CAPTION_LENGTH:
            raise _bad("Bad Request: message caption is too long")
        return plain, entities

    def _check_markup(self, markup: Any, *, inline_only: bool = False) -> JSON | None:
        """Validate reply_markup; return it if it belongs in the Message JSON (inline)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("Bad Request: object expected as reply markup")
        if "inline_keyboard" not in markup:
            if inline_only:
                raise _bad("Bad Request: inline keyboard expected")
            if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad("Bad Request: can't parse reply keyboard markup JSON object")
            return None  # Telegram never echoes reply keyboards in the Message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                "must be an Array of Arrays"
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad(
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String'
                    )
                if not any(k in button for k in _INLINE_BUTTON_ACTIONS):
                    raise _bad(
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not (
                    1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad("Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
                    raise _bad("Bad Request: BUTTON_URL_INVALID")
        return markup

    def _reply_target(self, chat_id: int, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        target_chat = chat_id
        message_id: Any = None
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") is not None:
                target_chat = self._resolve_chat(reply["chat_id"])
        elif params.get("reply_to_message_id") is not None:
            message_id = params["reply_to_message_id"]
        if message_id is None:
            return None
        stored = self._messages.get((target_chat, int(message_id)))
        if stored is None:
            if allow:
                return None
            raise _bad("Bad Request: message to be replied not found")
        if target_chat != chat_id:
            return None  # cross-chat replies are external_reply in Telegram; not modelled
        return {k: v for k, v in stored.items() if k != "reply_to_message"}

    def _new_message(self, chat_id: int, params: JSON, reply: JSON | None) -> JSON:
        """Allocate a bot message skeleton; call only after all validation passed."""
        chat = self._chat_dict(chat_id)
        message: JSON = {"message_id": self._alloc_message_id(chat_id)}
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = dict(self.bot_user)
        message["date"] = int(time.time())
        message["chat"] = chat
        if params.get("message_thread_id") is not None:
            message["message_thread_id"] = params["message_thread_id"]
        if reply is not None:
            message["reply_to_message"] = reply
        if params.get("protect_content"):
            message["has_protected_content"] = True
        return message

    def _store(self, message: JSON) -> JSON:
        key = (message["chat"]["id"], message["message_id"])
        self._messages[key] = message
        return json.loads(json.dumps(message))  # callers must not alias stored state

    def _resolve_file(
        self, value: Any, uploads: dict[str, UploadedFile], field_name: str, kind: str
    ) -> tuple[_StoredFile, bool, UploadedFile | None]:
        """Find the file a send* call refers to: upload, attach://, URL or file_id."""
        upload: UploadedFile | None = None
        if value is None:
            upload = uploads.get(field_name)
            if upload is None:
                raise _bad(f"Bad Request: there is no {field_name} in the request")
        elif isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad("Bad Request: can't parse InputMedia: media not found")
        if upload is not None:
            return self._store_upload(upload, kind), True, upload
        if not isinstance(value, str) or not value:
            raise _bad("Bad Request: wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return (
                self._new_file(content=None, size=4096, kind=kind, mime_type=None, file_name=name),
                False,
                None,
            )
        stored = self._files.get(value)
        if stored is None:
            raise _bad("Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind is not None and (stored.kind == "photo") != (kind == "photo"):
            raise _bad(
                f"Bad Request: can't use file of type {stored.kind.replace('_', ' ').title()}"
                f" as {kind.replace('_', ' ').title()}"
            )
        return stored, False, None

    def _store_upload(self, upload: UploadedFile, kind: str) -> _StoredFile:
        size = len(upload.content)
        if size == 0:
            raise _bad("Bad Request: file must be non-empty")
        if kind == "photo":
            if size > MAX_PHOTO_UPLOAD:
                raise _bad("Bad Request: PHOTO_INVALID_DIMENSIONS")
            dims = _image_size(upload.content)
            if dims is None:
                raise _bad("Bad Request: IMAGE_PROCESS_FAILED")
            stored = self._new_file(
                content=upload.content,
                size=size,
                kind="photo",
                mime_type="image/jpeg",
                file_name=None,
                width=dims[0],
                height=dims[1],
            )
            return stored
        if size > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        return self._new_file(
            content=upload.content,
            size=size,
            kind=kind,
            mime_type=upload.content_type or "application/octet-stream",
            file_name=upload.filename,
        )

    def _photo_sizes(self, stored: _StoredFile, uploaded: bool) -> list[JSON]:
        """PhotoSize list, smallest first; uploads get thumbnails like Telegram makes."""
        known = self._photo_sets.get(stored.file_id)
        if known is not None and not uploaded:
            return json.loads(json.dumps(known))
        width, height = stored.width or 800, stored.height or 600
        sizes: list[JSON] = []
        longest = max(width, height, 1)
        for bound in (90, 320, 800):
            if longest > bound:
                scale = bound / longest
                thumb = self._new_file(
                    content=None,
                    size=max(1, stored.size * bound // longest),
                    kind="photo",
                    mime_type="image/jpeg",
                    file_name=None,
                    width=max(1, round(width * scale)),
                    height=max(1, round(height * scale)),
                )
                sizes.append(self._photo_size_json(thumb))
        sizes.append(self._photo_size_json(stored))
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return json.loads(json.dumps(sizes))

    @staticmethod
    def _photo_size_json(stored: _StoredFile) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "width": stored.width or 800,
            "height": stored.height or 600,
        }

    def _media_json(self, kind: str, stored: _StoredFile, uploaded: bool) -> Any:
        if kind == "photo":
            return self._photo_sizes(stored, uploaded)
        media: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if kind in ("document", "audio", "video", "animation"):
            if stored.file_name:
                media["file_name"] = stored.file_name
            if stored.mime_type:
                media["mime_type"] = stored.mime_type
        if kind in ("video", "animation"):
            media.update(width=stored.width or 640, height=stored.height or 360, duration=1)
        if kind == "audio":
            media["duration"] = 1
        return media

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, Mapping):
            scope = {"type": "default"}
        return json.dumps(dict(scope), sort_keys=True)

    def _editable(self, params: JSON) -> tuple[tuple[int, int] | None, JSON | None]:
        """Locate the target of an edit; (None, None) for inline messages."""
        if params.get("inline_message_id"):
            return None, None
        if params.get("message_id") is None:
            raise _bad("Bad Request: message identifier is not specified")
        key = (self._resolve_chat(params.get("chat_id")), int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            raise _bad("Bad Request: message to edit not found")
        sender = message.get("from") or {}
        if sender.get("id") != self.bot_id and "sender_chat" not in message:
            raise _bad("Bad Request: message can't be edited")
        return key, message

    # ================================================================ API methods

    @_api_method("getMe")
    def _m_get_me(self, req: _Request) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @_api_method("getUpdates")
    async def _m_get_updates(self, req: _Request) -> _RawJSON:
        params = req.params
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        with self._lock:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook "
                    "is active; use deleteWebhook to delete the webhook first",
                )
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED_UPDATES
            self._poll_generation += 1
            generation = self._poll_generation
        self._update_signal.notify()  # an older long poll now answers 409 (see below)
        if offset is not None:
            self._confirm(int(offset))
        handler = req.handler

        def check() -> list[InjectedUpdate] | None:
            if self._stopping or (handler is not None and handler.closed):
                return []  # nobody to answer (or shutting down): don't mark anything
            batch = self._take_updates(limit)
            if batch:
                return batch
            if generation != self._poll_generation:
                # Like Telegram: a newer getUpdates terminates the one still waiting.
                raise ApiError(409, _FAULT_DESCRIPTIONS[409])
            return None

        sub = self._update_signal.subscribe()
        if handler is not None:
            handler.wake = sub.event
        try:
            loop = sub.loop
            deadline = loop.time() + timeout
            while True:
                sub.event.clear()
                batch = check()
                remaining = deadline - loop.time()
                if batch is not None or remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await sub.event.wait()
        finally:
            self._update_signal.unsubscribe(sub)
            if handler is not None:
                handler.wake = None
        now = time.monotonic()
        with self._lock:
            for update in batch or []:
                if update.delivered_at is None:
                    update.delivered_at = now
            return _RawJSON(
                "[" + ",".join(u.raw for u in batch or []) + "]",
                [u.update_id for u in batch or []],
            )

    def _confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (negative: keep only the last -offset)."""
        now = time.monotonic()
        with self._lock:
            if offset < 0:
                keep = self._updates[offset:]
                gone = self._updates[: len(self._updates) - len(keep)]
            else:
                cut = bisect.bisect_left([u.update_id for u in self._updates], offset)
                gone, keep = self._updates[:cut], self._updates[cut:]
            for update in gone:
                update.confirmed_at = now
            self._updates = list(keep)
        if gone:
            self._confirm_signal.notify()

    def _take_updates(self, limit: int) -> list[InjectedUpdate]:
        with self._lock:
            allowed = self._allowed_updates
            dropped = [u for u in self._updates if u.type not in allowed]
            if dropped:
                # Telegram never queues updates of types the bot did not ask for.
                self._dropped_updates.extend(dropped)
                self._updates = [u for u in self._updates if u.type in allowed]
            batch = self._updates[:limit]
        if dropped:
            self._confirm_signal.notify()
        return batch

    @_api_method("deleteWebhook")
    def _m_delete_webhook(self, req: _Request) -> bool:
        self._webhook = None
        if req.params.get("drop_pending_updates"):
            self._drop_pending()
        return True

    @_api_method("setWebhook")
    def _m_set_webhook(self, req: _Request) -> bool:
        url = req.params.get("url")
        if url in (None, ""):
            self._webhook = None
        else:
            if not str(url).startswith("https://"):
                raise _bad("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            self._webhook = {k: v for k, v in req.params.items() if k != "certificate"}
            self._ensure_webhook_task()
        if req.params.get("drop_pending_updates"):
            self._drop_pending()
        return True

    @_api_method("getWebhookInfo")
    def _m_get_webhook_info(self, req: _Request) -> JSON:
        info: JSON = {
            "url": (self._webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        return info

    def _drop_pending(self) -> None:
        now = time.monotonic()
        for update in self._updates:
            update.confirmed_at = now
        self._updates = []
        self._confirm_signal.notify()

    @_api_method("setMyCommands")
    def _m_set_my_commands(self, req: _Request) -> bool:
        commands = req.params.get("commands")
        if not isinstance(commands, list):
            raise _bad("Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("Bad Request: too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("Bad Request: can't parse BotCommand")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(req.params.get("scope")), str(req.params.get("language_code") or ""))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    @_api_method("setChatMenuButton")
    def _m_set_chat_menu_button(self, req: _Request) -> bool:
        button = req.params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise _bad("Bad Request: can't parse menu button JSON object")
        if button["type"] == "web_app":
            text = str(button.get("text", ""))
            web_app = button.get("web_app")
            if not 1 <= len(text) <= 64 or not isinstance(web_app, dict):
                raise _bad("Bad Request: BUTTON_TEXT_INVALID")
            # Telegram opens Mini Apps over HTTPS only.
            if not str(web_app.get("url", "")).startswith("https://"):
                raise _bad("Bad Request: BUTTON_URL_INVALID")
        chat_id = req.params.get("chat_id")
        self._menu_buttons["" if chat_id is None else str(chat_id)] = dict(button)
        return True

    @_api_method("getChatMenuButton")
    def _m_get_chat_menu_button(self, req: _Request) -> JSON:
        chat_id = req.params.get("chat_id")
        return dict(
            self._menu_buttons.get("" if chat_id is None else str(chat_id)) or {"type": "commands"}
        )

    @_api_method("getMyCommands")
    def _m_get_my_commands(self, req: _Request) -> list[JSON]:
        key = (self._scope_key(req.params.get("scope")), str(req.params.get("language_code") or ""))
        return list(self._commands.get(key, []))

    @_api_method("deleteMyCommands")
    def _m_delete_my_commands(self, req: _Request) -> bool:
        key = (self._scope_key(req.params.get("scope")), str(req.params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    @_api_method("sendMessage", records=True)
    def _m_send_message(self, req: _Request) -> JSON:
        params = req.params
        chat_id = self._resolve_chat(params.get("chat_id"))
        text = params.get("text")
        if text is None:
            raise _bad("Bad Request: message text is empty")
        plain, entities = self._render(str(text), params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("Bad Request: message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad("Bad Request: message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat_id, params)
        message = self._new_message(chat_id, params, reply)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    def _send_file(self, req: _Request, kind: str) -> JSON:
        params = req.params
        chat_id = self._resolve_chat(params.get("chat_id"))
        caption, caption_entities = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat_id, params)
        stored, uploaded, _upload = self._resolve_file(params.get(kind), req.uploads, kind, kind)
        message = self._new_message(chat_id, params, reply)
        message[kind] = self._media_json(kind, stored, uploaded)
        if caption is not None:
            message["caption"] = caption
            if caption_entities:
                message["caption_entities"] = caption_entities
        if params.get("has_spoiler"):
            message["has_media_spoiler"] = True
        if markup is not None:
            message["reply_markup"] = markup
        req.sent_files.append(stored.sent(uploaded))
        return self._store(message)

    @_api_method("sendPhoto", records=True)
    def _m_send_photo(self, req: _Request) -> JSON:
        return self._send_file(req, "photo")

    @_api_method("sendDocument", records=True)
    def _m_send_document(self, req: _Request) -> JSON:
        return self._send_file(req, "document")

    @_api_method("sendMediaGroup", records=True)
    def _m_send_media_group(self, req: _Request) -> list[JSON]:
        params = req.params
        chat_id = self._resolve_chat(params.get("chat_id"))
        media = params.get("media")
        if media is None:
            raise _bad('Bad Request: parameter "media" is required')
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise _bad("Bad Request: can't parse media JSON object")
        if not media:
            raise _bad("Bad Request: there are no messages to send")
        if len(media) > ALBUM_MAX:
            raise _bad("Bad Request: too many messages to send as an album")
        if len(media) < ALBUM_MIN:
            # The documented range is 2-10; enforce it so single items use send_photo.
            raise _bad("Bad Request: media group must include 2-10 items")
        types = [str(m.get("type")) for m in media]
        for item_type in types:
            if item_type == "animation":
                raise _bad(
                    'Bad Request: can\'t parse InputMedia: type "animation" '
                    "can't be used in sendMediaGroup"
                )
            if item_type not in ("photo", "video", "document", "audio"):
                raise _bad(
                    f'Bad Request: can\'t parse InputMedia: type "{item_type}" is unsupported'
                )
        for lonely in ("document", "audio"):
            if lonely in types and set(types) != {lonely}:
                raise _bad(f"Bad Request: {lonely} can't be mixed with other media types")
        captions = [self._caption(item) for item in media]
        reply = self._reply_target(chat_id, params)
        resolved = [
            self._resolve_file(item.get("media"), req.uploads, "media", item_type)
            for item, item_type in zip(media, types, strict=True)
        ]
        group_id = str(next(self._media_group_seq))
        messages: list[JSON] = []
        for item_type, (caption, entities), (stored, uploaded, _u) in zip(
            types, captions, resolved, strict=True
        ):
            message = self._new_message(chat_id, params, reply)
            message["media_group_id"] = group_id
            message[item_type] = self._media_json(item_type, stored, uploaded)
            if caption is not None:
                message["caption"] = caption
                if entities:
                    message["caption_entities"] = entities
            req.sent_files.append(stored.sent(uploaded))
            messages.append(self._store(message))
        return messages

    @_api_method("editMessageText", records=True)
    def _m_edit_message_text(self, req: _Request) -> JSON | bool:
        params = req.params
        text = params.get("text")
        if text is None:
            raise _bad("Bad Request: message text is empty")
        plain, entities = self._render(str(text), params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("Bad Request: message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad("Bad Request: MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        key, message = self._editable(params)
        if key is None or message is None:
            return True
        if "text" not in message:
            raise _bad("Bad Request: there is no text in the message to edit")
        if (
            message["text"] == plain
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        message["text"] = plain
        self._set_optional(message, "entities", entities or None)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return self._store(message)

    @_api_method("editMessageCaption", records=True)
    def _m_edit_message_caption(self, req: _Request) -> JSON | bool:
        params = req.params
        caption, entities = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        key, message = self._editable(params)
        if key is None or message is None:
            return True
        if not any(
            k in message for k in ("photo", "document", "video", "audio", "animation", "voice")
        ):
            raise _bad("Bad Request: there is no caption in the message to edit")
        if (
            message.get("caption") == caption
            and message.get("caption_entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        self._set_optional(message, "caption", caption)
        self._set_optional(message, "caption_entities", entities or None)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return self._store(message)

    @_api_method("editMessageReplyMarkup", records=True)
    def _m_edit_message_reply_markup(self, req: _Request) -> JSON | bool:
        markup = self._check_markup(req.params.get("reply_markup"), inline_only=True)
        key, message = self._editable(req.params)
        if key is None or message is None:
            return True
        if message.get("reply_markup") == markup:
            raise _bad(_NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return self._store(message)

    @staticmethod
    def _set_optional(message: JSON, key: str, value: Any) -> None:
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value

    @_api_method("deleteMessage", records=True)
    def _m_delete_message(self, req: _Request) -> bool:
        params = req.params
        chat_id = self._resolve_chat(params.get("chat_id"))
        if params.get("message_id") is None:
            raise _bad("Bad Request: message identifier is not specified")
        key = (chat_id, int(params["message_id"]))
        if self._messages.pop(key, None) is None:
            raise _bad("Bad Request: message to delete not found")
        self._deleted.add(key)
        return True

    @_api_method("answerCallbackQuery")
    def _m_answer_callback_query(self, req: _Request) -> bool:
        query_id = str(req.params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id, True):  # unknown or already answered
            raise _bad(_QUERY_TOO_OLD)
        self._callback_queries[query_id] = True
        return True

    @_api_method("sendChatAction")
    def _m_send_chat_action(self, req: _Request) -> bool:
        self._resolve_chat(req.params.get("chat_id"))
        if req.params.get("action") not in _CHAT_ACTIONS:
            raise _bad("Bad Request: wrong parameter action in request")
        return True

    @_api_method("getFile")
    def _m_get_file(self, req: _Request) -> JSON:
        file_id = req.params.get("file_id")
        if not file_id:
            raise _bad('Bad Request: parameter "file_id" is required')
        stored = self._files.get(str(file_id))
        if stored is None:
            raise _bad("Bad Request: invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise _bad("Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    @_api_method("getChat")
    def _m_get_chat(self, req: _Request) -> JSON:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        known = self._chats.get(chat_id, {})
        return {
            **self._chat_dict(chat_id),
            **{k: v for k, v in known.items() if k in ("bio", "description")},
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
