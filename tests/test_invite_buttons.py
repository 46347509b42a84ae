"""/invite through the buttons of an ambiguous name keeps the deputy flag, end to end."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Invite, User
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

NEWCOMER = u.TgUser(id=690_001, first_name="新副联络员")
MAIN = u.TgUser(id=690_002, first_name="新联络员")


async def test_deputy_invite_through_the_ambiguity_buttons(rig: DubanRig) -> None:
    await rig.ask(ADMIN, "/lang en")
    choice = await rig.ask(ADMIN, "/invite 城 deputy")
    assert "Several departments match" in choice.plain_text
    assert choice.callback_data and all(d.startswith("inv:d:") for d in choice.callback_data)
    made = await rig.press(ADMIN, choice, choice.callback_data[0])
    assert made.plain_text.startswith("A deputy liaison: reminded only when")
    code = re.search(r"/join (\S+)", made.plain_text)
    assert code is not None
    async with rig.session() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code[1]))
        assert invite is not None and invite.deputy is True
    await rig.ask(NEWCOMER, f"/join {code[1]}")

    # Without the flag, the buttons make a main liaison's invite, as before.
    choice = await rig.ask(ADMIN, "/invite 城")
    assert all(re.fullmatch(r"inv:\d+", d) for d in choice.callback_data)
    made = await rig.press(ADMIN, choice, choice.callback_data[0])
    assert "deputy" not in made.plain_text
    main = re.search(r"/join (\S+)", made.plain_text)
    assert main is not None
    await rig.ask(MAIN, f"/join {main[1]}")
    async with rig.session() as session:
        users = {
            user.tg_id: user.is_deputy
            for user in await session.scalars(
                select(User).where(User.tg_id.in_([NEWCOMER.id, MAIN.id]))
            )
        }
    assert users == {NEWCOMER.id: True, MAIN.id: False}
