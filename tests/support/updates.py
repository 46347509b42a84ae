"""Factories for Telegram update dicts, in the spirit of PTB's own test suite.

Every call builds a brand-new dict (no shared mutable state between tests), ready for
:meth:`tests.support.botapi.FakeBotAPI.inject`, which assigns the ``update_id``.
Message ids come from one process-wide counter so they are unique; the fake server
renumbers an id that collides with a bot message in the same chat.  Dates are int
epoch seconds, entity offsets/lengths are UTF-16 code units like Telegram's.

Users and chats are small frozen dataclasses so tests can share them as constants.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .tg_text import utf16_len

__all__ = [
    "TgChat",
    "TgUser",
    "album",
    "callback_query",
    "channel_chat",
    "channel_post",
    "chat_member_updated",
    "command",
    "contact_message",
    "document_message",
    "edited_message",
    "forwarded_message",
    "group_chat",
    "location_message",
    "message_from_bot",
    "message_of",
    "new_chat_members_message",
    "photo_message",
    "poll_message",
    "private_chat",
    "sticker_message",
    "text_message",
    "video_note_message",
    "voice_message",
]

JSON = dict[str, Any]

_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)
_media_groups = itertools.count(14_000_000_000_000_000)
_fake_files = itertools.count(1)

_ADMIN_FLAGS = (
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_RESTRICTED_FLAGS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


@dataclass(frozen=True, slots=True)
class TgUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "zh-hans"
    last_name: str | None = None
    is_bot: bool = False

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True, slots=True)
class TgChat:
    id: int
    type: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool | None = None

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name", "is_forum"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


class _HasFile(Protocol):
    """Anything like ``FileRef``: file_id, file_unique_id, file_size (+ optional meta)."""

    @property
    def file_id(self) -> str: ...
    @property
    def file_unique_id(self) -> str: ...
    @property
    def file_size(self) -> int: ...


def private_chat(user: TgUser) -> TgChat:
    """The private chat between ``user`` and the bot (same id as the user)."""
    return TgChat(
        id=user.id,
        type="private",
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
    )


def group_chat(
    id: int = -1001234567890, title: str = "生态环境督办群", *, type: str = "supergroup"
) -> TgChat:
    return TgChat(id=id, type=type, title=title)


def channel_chat(
    id: int = -1009876543210, title: str = "督办通报", username: str | None = None
) -> TgChat:
    return TgChat(id=id, type="channel", title=title, username=username)


def _now() -> int:
    return int(time.time())


def message_of(obj: Any) -> JSON:
    """The Message dict inside an update dict, a message dict or a ``SentMessage``."""
    if hasattr(obj, "message") and not isinstance(obj, Mapping):
        message = obj.message  # SentMessage: the (first) Message JSON the server returned
        if message is None:
            raise ValueError(f"{obj!r} has no message")
        return dict(message)
    if isinstance(obj, Mapping):
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            inner = obj.get(key)
            if isinstance(inner, Mapping) and "message_id" in inner:
                return dict(inner)
        if "message_id" in obj:
            return dict(obj)
    raise TypeError(f"not a message: {obj!r}")


def _base(user: TgUser | None, chat: TgChat | None, *, date: int | None = None) -> JSON:
    if chat is None:
        if user is None:
            raise ValueError("need a user or a chat")
        chat = private_chat(user)
    message: JSON = {"message_id": next(_message_ids)}
    if user is not None:
        message["from"] = user.to_dict()
    elif chat.type == "channel":
        message["sender_chat"] = chat.to_dict()
    message["date"] = date if date is not None else _now()
    message["chat"] = chat.to_dict()
    return message


def _with_reply(message: JSON, reply_to: Any) -> JSON:
    if reply_to is not None:
        replied = message_of(reply_to)
        replied.pop("reply_to_message", None)  # Telegram never nests replies deeper
        message["reply_to_message"] = replied
    return message


def text_message(
    user: TgUser,
    text: str,
    chat: TgChat | None = None,
    *,
    reply_to: Any = None,
    entities: Sequence[Mapping[str, Any]] | None = None,
    date: int | None = None,
) -> JSON:
    """``{"message": {...}}`` with ``text`` from ``user`` (private chat by default)."""
    message = _base(user, chat, date=date)
    message["text"] = text
    if entities:
        message["entities"] = [dict(e) for e in entities]
    return {"message": _with_reply(message, reply_to)}


def command(
    user: TgUser,
    text: str,
    chat: TgChat | None = None,
    *,
    bot_username: str | None = None,
    reply_to: Any = None,
) -> JSON:
    """A command message: ``text`` starts with ``/cmd``; adds the bot_command entity.

    ``bot_username`` turns ``/cmd args`` into ``/cmd@bot args`` (as group clients send).
    The entity spans the command token including any ``@botname``, in UTF-16 units.
    """
    if not text.startswith("/"):
        raise ValueError("a command starts with '/'")
    token, sep, rest = text.partition(" ")
    if bot_username and "@" not in token:
        token = f"{token}@{bot_username.lstrip('@')}"
    full = f"{token}{sep}{rest}"
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(token)}
    return text_message(user, full, chat, reply_to=reply_to, entities=[entity])


def _photo_sizes(file_ref: _HasFile, width: int, height: int) -> list[JSON]:
    # Telegram lists sizes smallest first; the last one is the original upload.
    sizes: list[JSON] = []
    longest = max(width, height)
    for bound in (90, 320, 800):
        if longest > bound:
            scale = bound / longest
            sizes.append(
                {
                    "file_id": f"{file_ref.file_id}-{bound}",
                    "file_unique_id": f"{file_ref.file_unique_id}-{bound}",
                    "file_size": max(1, file_ref.file_size * bound // longest),
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
            )
    sizes.append(
        {
            "file_id": file_ref.file_id,
            "file_unique_id": file_ref.file_unique_id,
            "file_size": file_ref.file_size,
            "width": width,
            "height": height,
        }
    )
    return sizes


def _caption(
    message: JSON, caption: str | None, entities: Sequence[Mapping[str, Any]] | None
) -> None:
    if caption is not None:
        message["caption"] = caption
        if entities:
            message["caption_entities"] = [dict(e) for e in entities]


def photo_message(
    user: TgUser,
    file_ref: _HasFile,
    caption: str | None = None,
    media_group_id: str | None = None,
    chat: TgChat | None = None,
    *,
    caption_entities: Sequence[Mapping[str, Any]] | None = None,
    width: int = 1280,
    height: int = 960,
    reply_to: Any = None,
) -> JSON:
    """A photo: sizes of increasing resolution, the last (largest) is ``file_ref``."""
    message = _base(user, chat)
    if media_group_id is not None:
        message["media_group_id"] = media_group_id
    message["photo"] = _photo_sizes(file_ref, width, height)
    _caption(message, caption, caption_entities)
    return {"message": _with_reply(message, reply_to)}


def document_message(
    user: TgUser,
    file_ref: _HasFile,
    file_name: str | None = None,
    mime_type: str | None = None,
    caption: str | None = None,
    media_group_id: str | None = None,
    chat: TgChat | None = None,
    *,
    caption_entities: Sequence[Mapping[str, Any]] | None = None,
    reply_to: Any = None,
) -> JSON:
    """A document; name/type default to the ref's (``FileRef`` carries them)."""
    message = _base(user, chat)
    if media_group_id is not None:
        message["media_group_id"] = media_group_id
    document: JSON = {
        "file_id": file_ref.file_id,
        "file_unique_id": file_ref.file_unique_id,
        "file_size": file_ref.file_size,
    }
    name = file_name or getattr(file_ref, "file_name", None)
    mime = mime_type or getattr(file_ref, "mime_type", None)
    if name:
        document["file_name"] = name
    if mime:
        document["mime_type"] = mime
    message["document"] = document
    _caption(message, caption, caption_entities)
    return {"message": _with_reply(message, reply_to)}


def album(
    user: TgUser,
    file_refs: Sequence[_HasFile],
    caption: str | None = None,
    chat: TgChat | None = None,
    *,
    kind: str = "photo",
) -> list[JSON]:
    """Updates of one album (fresh media_group_id), caption on the first item only."""
    if kind not in ("photo", "document"):
        raise ValueError("kind must be 'photo' or 'document'")
    group_id = str(next(_media_groups))
    updates: list[JSON] = []
    for position, ref in enumerate(file_refs):
        item_caption = caption if position == 0 else None
        if kind == "photo":
            updates.append(photo_message(user, ref, item_caption, group_id, chat))
        else:
            updates.append(
                document_message(
                    user, ref, caption=item_caption, media_group_id=group_id, chat=chat
                )
            )
    return updates


def callback_query(
    user: TgUser,
    data: str,
    message: Any,
    *,
    chat_instance: str | None = None,
    query_id: str | None = None,
) -> JSON:
    """A button press on ``message`` (a ``SentMessage`` from the fake server, or its dict).

    ``FakeBotAPI.inject`` swaps in the server's *current* version of that message, as
    Telegram would after edits.
    """
    msg = message_of(message)
    chat_id = msg["chat"]["id"]
    return {
        "callback_query": {
            "id": query_id or f"{user.id}{next(_callback_ids):08d}",
            "from": user.to_dict(),
            "message": msg,
            "chat_instance": chat_instance or str(abs(hash((chat_id, "duban"))) % 10**18),
            "data": data,
        }
    }


def edited_message(user: TgUser, original: Any, text: str, *, edit_date: int | None = None) -> JSON:
    """``{"edited_message": ...}``: ``original`` (update/message dict) with new text."""
    msg = message_of(original)
    edited = {k: v for k, v in msg.items() if k not in ("text", "entities", "caption")}
    edited["from"] = user.to_dict()
    if "text" in msg or not any(k in msg for k in ("photo", "document", "video")):
        edited["text"] = text
    else:
        edited["caption"] = text
    edited["edit_date"] = edit_date if edit_date is not None else max(_now(), msg["date"])
    return {"edited_message": edited}


def _fake_file(prefix: str, size: int) -> JSON:
    seq = next(_fake_files)
    return {
        "file_id": f"{prefix}FactoryFile{seq:08d}",
        "file_unique_id": f"AgADfac{seq:08d}",
        "file_size": size,
    }


def sticker_message(user: TgUser, chat: TgChat | None = None, *, emoji: str = "👍") -> JSON:
    message = _base(user, chat)
    message["sticker"] = {
        **_fake_file("CAAC", 24_000),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
    }
    return {"message": message}


def voice_message(
    user: TgUser, chat: TgChat | None = None, *, duration: int = 3, file_ref: _HasFile | None = None
) -> JSON:
    message = _base(user, chat)
    voice = (
        _fake_file("AwAC", 8_000)
        if file_ref is None
        else {
            "file_id": file_ref.file_id,
            "file_unique_id": file_ref.file_unique_id,
            "file_size": file_ref.file_size,
        }
    )
    message["voice"] = {**voice, "duration": duration, "mime_type": "audio/ogg"}
    return {"message": message}


def video_note_message(user: TgUser, chat: TgChat | None = None, *, duration: int = 5) -> JSON:
    message = _base(user, chat)
    message["video_note"] = {**_fake_file("DQAC", 300_000), "length": 240, "duration": duration}
    return {"message": message}


def location_message(
    user: TgUser, latitude: float = 31.2304, longitude: float = 121.4737, chat: TgChat | None = None
) -> JSON:
    message = _base(user, chat)
    message["location"] = {"latitude": latitude, "longitude": longitude}
    return {"message": message}


def contact_message(
    user: TgUser,
    phone_number: str = "+8613800138000",
    first_name: str = "联系人",
    chat: TgChat | None = None,
    *,
    contact_user_id: int | None = None,
) -> JSON:
    message = _base(user, chat)
    contact: JSON = {"phone_number": phone_number, "first_name": first_name}
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    message["contact"] = contact
    return {"message": message}


def poll_message(
    user: TgUser,
    question: str = "本周是否完成整改?",
    options: Sequence[str] = ("是", "否"),
    chat: TgChat | None = None,
) -> JSON:
    message = _base(user, chat)
    message["poll"] = {
        "id": str(uuid.uuid4().int % 10**18),
        "question": question,
        # persistent_id / allows_revoting / members_only: required since Bot API 9.6/10.0
        # (PTB 22.8 raises TypeError without them).
        "options": [
            {"text": option, "voter_count": 0, "persistent_id": str(position)}
            for position, option in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    return {"message": message}


def channel_post(chat: TgChat, text: str) -> JSON:
    """A post in a channel: no ``from``, ``sender_chat`` is the channel itself."""
    if chat.type != "channel":
        raise ValueError("channel_post needs a channel chat")
    message = _base(None, chat)
    message["text"] = text
    return {"channel_post": message}


def forwarded_message(
    user: TgUser,
    text: str,
    origin: TgUser | TgChat,
    chat: TgChat | None = None,
    *,
    origin_date: int | None = None,
) -> JSON:
    """A text forwarded by ``user`` from ``origin`` (a user, or a channel/group chat)."""
    message = _base(user, chat)
    date = origin_date if origin_date is not None else _now() - 3600
    if isinstance(origin, TgUser):
        message["forward_origin"] = {"type": "user", "date": date, "sender_user": origin.to_dict()}
    elif origin.type == "channel":
        message["forward_origin"] = {
            "type": "channel",
            "date": date,
            "chat": origin.to_dict(),
            "message_id": next(_message_ids),
        }
    else:
        message["forward_origin"] = {"type": "chat", "date": date, "sender_chat": origin.to_dict()}
    message["text"] = text
    return {"message": message}


def message_from_bot(text: str, chat: TgChat, bot: TgUser | None = None) -> JSON:
    """A message written by *another* bot (e.g. in a group); bots must usually ignore it."""
    sender = bot or TgUser(
        id=987654321, first_name="OtherBot", username="other_bot", language_code=None, is_bot=True
    )
    return text_message(sender, text, chat)


def new_chat_members_message(user: TgUser, members: Sequence[TgUser], chat: TgChat) -> JSON:
    """Service message: ``user`` added ``members`` (may include the bot) to ``chat``."""
    message = _base(user, chat)
    message["new_chat_members"] = [m.to_dict() for m in members]
    return {"message": message}


def chat_member_updated(
    user: TgUser,
    chat: TgChat,
    member: TgUser,
    old_status: str,
    new_status: str,
    *,
    mine: bool = True,
) -> JSON:
    """``my_chat_member`` (bot's own status, delivered by default) or ``chat_member``."""

    def member_json(status: str) -> JSON:
        # PTB requires every flag of the richer member kinds, so fill them all in.
        data: JSON = {"status": status, "user": member.to_dict()}
        if status == "administrator":
            data.update(
                dict.fromkeys(_ADMIN_FLAGS, False),
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
            )
        elif status == "restricted":
            data.update(dict.fromkeys(_RESTRICTED_FLAGS, False), is_member=True, until_date=0)
        elif status == "kicked":
            data["until_date"] = 0
        return data

    return {
        ("my_chat_member" if mine else "chat_member"): {
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "date": _now(),
            "old_chat_member": member_json(old_status),
            "new_chat_member": member_json(new_status),
        }
    }
