"""The dashboard's authentication: Telegram's initData signature and the evidence links."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.webapp.auth import (
    LINK_TTL,
    InitDataInvalid,
    check_link,
    sign_link,
    verify_init_data,
)
from tests.support.updates import TgUser
from tests.support.webapp import forged_init_data, signed_init_data

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
LEADER = TgUser(id=900_002, first_name="领导")


def test_a_fresh_validly_signed_init_data_names_its_user() -> None:
    data = signed_init_data(
        LEADER, TOKEN, auth_date=NOW - dt.timedelta(minutes=3), language_code="en"
    )
    user = verify_init_data(data, TOKEN, now=NOW, max_age=DAY)
    assert user.tg_id == LEADER.id
    assert user.language_code == "en"


def test_the_signature_is_telegrams_published_algorithm() -> None:
    """Computed here independently, from the documentation's wording."""
    fields = {
        "auth_date": str(int(NOW.timestamp())),
        "user": '{"id":7,"first_name":"A"}',
        "query_id": "Q",
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert verify_init_data(urlencode(fields), TOKEN, now=NOW, max_age=DAY).tg_id == 7


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: forged_init_data(LEADER, TOKEN), id="user swapped"),
        pytest.param(
            lambda: signed_init_data(LEADER, "654321:" + "x" * 35), id="other bot's token"
        ),
        pytest.param(
            lambda: signed_init_data(LEADER, TOKEN).replace("hash=", "hash=0"), id="bad hash"
        ),
        pytest.param(lambda: "user=%7B%22id%22%3A900002%7D&auth_date=1", id="no hash"),
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "%%%", id="not a query string"),
        pytest.param(lambda: signed_init_data(LEADER, TOKEN) + "&hash=00", id="hash twice"),
    ],
)
def test_forged_or_malformed_init_data_is_refused(make: object) -> None:
    with pytest.raises(InitDataInvalid):
        verify_init_data(make(), TOKEN, now=NOW, max_age=DAY)  # type: ignore[operator]


def test_a_validly_signed_but_expired_init_data_is_refused() -> None:
    data = signed_init_data(LEADER, TOKEN, auth_date=NOW - DAY - dt.timedelta(seconds=1))
    with pytest.raises(InitDataInvalid, match="expired"):
        verify_init_data(data, TOKEN, now=NOW, max_age=DAY)
    # One second younger passes: the age is the limit, not a rounding of it.
    data = signed_init_data(LEADER, TOKEN, auth_date=NOW - DAY + dt.timedelta(seconds=1))
    assert verify_init_data(data, TOKEN, now=NOW, max_age=DAY).tg_id == LEADER.id


def test_init_data_from_the_future_is_refused() -> None:
    data = signed_init_data(LEADER, TOKEN, auth_date=NOW + dt.timedelta(hours=1))
    with pytest.raises(InitDataInvalid):
        verify_init_data(data, TOKEN, now=NOW, max_age=DAY)


def test_signed_data_without_a_user_is_refused() -> None:
    data = signed_init_data(LEADER, TOKEN, auth_date=NOW)
    fields = dict(parse_qsl(data))
    del fields["user"]
    from bot.webapp.auth import init_data_hash

    fields["hash"] = init_data_hash(fields, TOKEN)
    with pytest.raises(InitDataInvalid):
        verify_init_data(urlencode(fields), TOKEN, now=NOW, max_age=DAY)


def test_an_evidence_link_works_for_its_file_user_and_time_only() -> None:
    query = sign_link(5, "thumb", LEADER.id, TOKEN, now=NOW)
    assert (
        check_link(5, "thumb", query, TOKEN, now=NOW + LINK_TTL - dt.timedelta(seconds=1))
        == LEADER.id
    )
    for evidence_id, variant, changed, moment in [
        (6, "thumb", {}, NOW),  # another file
        (5, "file", {}, NOW),  # the full file with a thumbnail's link
        (5, "thumb", {"u": str(LEADER.id + 1)}, NOW),  # someone else
        (5, "thumb", {}, NOW + LINK_TTL + dt.timedelta(seconds=1)),  # too late
        (5, "thumb", {"sig": "0" * 64}, NOW),
        (5, "thumb", {"exp": "x"}, NOW),
    ]:
        with pytest.raises(InitDataInvalid):
            check_link(evidence_id, variant, {**query, **changed}, TOKEN, now=moment)
