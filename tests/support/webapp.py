"""initData as Telegram signs it, for the dashboard's tests (and forged variants of it)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from bot.webapp.auth import init_data_hash

from .updates import TgUser


def signed_init_data(
    user: TgUser,
    bot_token: str,
    *,
    auth_date: dt.datetime | None = None,
    language_code: str | None = None,
) -> str:
    """The query string Telegram hands a Mini App opened by `user`."""
    moment = auth_date or dt.datetime.now(dt.UTC)
    person: dict[str, object] = {"id": user.id, "first_name": user.first_name}
    if language_code:
        person["language_code"] = language_code
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(person, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(moment.timestamp())),
    }
    fields["hash"] = init_data_hash(fields, bot_token)
    return urlencode(fields)


def forged_init_data(user: TgUser, bot_token: str) -> str:
    """Signed for someone else, then the user swapped in: the hash no longer matches."""
    genuine = signed_init_data(TgUser(id=user.id + 1, first_name="x"), bot_token)
    return genuine.replace(f"%22id%22%3A{user.id + 1}", f"%22id%22%3A{user.id}")
