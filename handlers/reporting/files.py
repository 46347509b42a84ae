"""Receiving evidence from Telegram: check type and size, download, stage in the store."""

from __future__ import annotations

import asyncio

from telegram import Bot, Message
from telegram.error import BadRequest

from core.dashboard.thumbnails import (
    MAX_PIXELS,
    image_dimensions,
    is_previewable,
    too_many_pixels,
)
from core.reporting.evidence import (
    EvidenceRejected,
    EvidenceStore,
    accepted_document_type,
    check_size,
)
from core.reporting.quota import check_daily_cap as daily_cap
from core.reporting.reports import NewEvidence
from core.reporting.sql import SqlEvidenceQuota
from core.text.i18n import Translate
from handlers.base import Turn


def is_evidence_message(message: Message) -> bool:
    return bool(message.photo or message.document)


async def fetch_evidence(bot: Bot, message: Message, store: EvidenceStore) -> NewEvidence:
    """Download the message's photo or document into staging; EvidenceRejected if unfit."""
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        check_size(photo.file_size)
        kind, file_id, unique_id = "photo", photo.file_id, photo.file_unique_id
        mime, extension, name = "image/jpeg", "jpg", ""
    elif message.document:
        document = message.document
        mime, extension = accepted_document_type(document.mime_type, document.file_name)
        check_size(document.file_size)
        kind, file_id, unique_id = "document", document.file_id, document.file_unique_id
        name = document.file_name or ""
    else:
        raise EvidenceRejected("type")
    try:
        telegram_file = await bot.get_file(file_id)
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise EvidenceRejected("too_big") from exc
        raise
    check_size(telegram_file.file_size)
    content = bytes(await telegram_file.download_as_bytearray())
    # An image is refused at arrival from its header (issue 18) when the dashboard would
    # refuse to decode it.
    if is_previewable(kind, mime) and too_many_pixels(
        await asyncio.to_thread(image_dimensions, content)
    ):
        raise EvidenceRejected("too_many_pixels")
    staged = await asyncio.to_thread(store.stage, content, extension)
    return NewEvidence(
        kind=kind,
        file_id=file_id,
        file_unique_id=unique_id,
        mime_type=mime,
        file_name=name,
        media_group_id=message.media_group_id,
        staged=staged,
    )


async def check_daily_cap(turn: Turn) -> None:
    """EvidenceRejected("daily_cap") once the sender's files today (local day) reached
    EVIDENCE_PER_DAY (issue 18): evidence cannot fill the disk from one account."""
    settings = turn.services.settings
    await daily_cap(
        SqlEvidenceQuota(turn.unit),
        user_id=turn.actor.user_id,
        now=turn.now,
        tz=settings.tz,
        per_day=settings.evidence_per_day,
    )


def rejection_text(reason: str, _: Translate) -> str:
    if reason == "daily_cap":
        return _(
            "You have sent as many evidence files today as one person may in a day; send "
            "the rest tomorrow, or ask the office. Nothing was saved."
        )
    if reason == "too_many_pixels":
        return _(
            "This image has too many pixels (over {millions} million) to be evidence; send it "
            "as a photo, or scaled down. Nothing was saved."
        ).format(millions=MAX_PIXELS // 1_000_000)
    if reason == "too_big":
        return _("This file is larger than 20 MB, which bots cannot download. Nothing was saved.")
    return _(
        "This kind of file cannot be evidence. Please send photos, or PDF, Word, Excel or "
        "image documents. Nothing was saved."
    )
