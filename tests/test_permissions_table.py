"""The permission table (core.people.permissions.COMMANDS), end to end over the real bot.

Every command of the table is sent by a stranger, a liaison of 区农业农村局, a liaison of
another department, a leader and an admin, in a private chat and in a group. Where the
table refuses, the bot must answer with exactly the refusal of handlers.base.refuse (in
the user's language); where it allows, the bot must answer, and not with a refusal or
"I don't know that command". The rows come from the table itself, so commands added to
it later are covered without touching this test.

Then the boundary between departments: a liaison of another department, and a stranger,
cannot reach 区农业农村局's reports or evidence by command, nor by forged buttons.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.people.permissions import COMMANDS, ChatKind, Decision, Role, check
from core.text.i18n import translator
from storage.models import Binding, Item, Report
from tests.office_support import ECO, FARM, STRANGER, ask_all, binding_id, department_id
from tests.support import updates as u
from tests.support.duban import ADMIN, LEADER, DubanRig

_ = translator("zh")  # every user here speaks the default language
NOT_YOURS = _("This command is not available to you. /help shows what you can do.")
PRIVATE_ONLY = _("Please use this command in a private chat with me.")
GROUP_ONLY = _("This command works only in a group.")
UNKNOWN = _("I don't know that command. /help shows what you can do.")
REFUSALS = {NOT_YOURS, PRIVATE_ONLY, GROUP_ONLY}

PEOPLE: dict[str, tuple[u.TgUser, Role]] = {
    "stranger": (STRANGER, Role.STRANGER),
    "liaison of 农业": (FARM, Role.LIAISON),
    "liaison of 生态": (ECO, Role.LIAISON),
    "leader": (LEADER, Role.LEADER),
    "admin": (ADMIN, Role.ADMIN),
}
# Arguments where a bare command would not do: "/lang" alone answers with the usage text
# that `ask_all` takes as the end of an answer.
ARGS = {"lang": "zh"}


def a_group(number: int) -> u.TgChat:
    """A group of its own for each question: the bot's rate limiter allows about 20
    messages a minute in one group, as Telegram does, which a shared group would hit."""
    return u.group_chat(id=-1002000000000 - number, title=f"测试群{number}")


def expected_refusal(decision: Decision, chat: ChatKind) -> str:
    if decision is Decision.CHAT:
        return PRIVATE_ONLY if chat is ChatKind.GROUP else GROUP_ONLY
    return NOT_YOURS


async def set_up_people(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态环境")
    await rig.join(LEADER, None)


@pytest.mark.parametrize("chat_kind", [ChatKind.PRIVATE, ChatKind.GROUP])
async def test_every_command_for_every_role(sqlite_rig: DubanRig, chat_kind: ChatKind) -> None:
    rig = sqlite_rig
    await set_up_people(rig)
    wrong: list[str] = []
    groups = iter(range(10_000))
    for rule in COMMANDS:
        for label, (user, role) in PEOPLE.items():
            chat = u.private_chat(user) if chat_kind is ChatKind.PRIVATE else a_group(next(groups))
            text = f"/{rule.name}" + (f" {ARGS[rule.name]}" if rule.name in ARGS else "")
            answers = await ask_all(rig, user, text, chat=chat)
            said = [m.plain_text or m.plain_caption or "" for m in answers if m.kind == "send"]
            decision = check(rule.name, role, chat_kind)
            if decision is Decision.ALLOWED:
                good = bool(said) and not REFUSALS & set(said) and UNKNOWN not in said
                wanted = "an answer"
            else:
                refusal = expected_refusal(decision, chat_kind)
                good = said == [refusal]
                wanted = repr(refusal)
            if not good:
                got = repr(said[0][:60]) if said else "silence"
                wrong.append(f"{text} as {label} in a {chat_kind} chat: wanted {wanted}, got {got}")

    # Commands nobody knows: a pointer to /help in private, silence in a group.
    for label, (user, _role) in PEOPLE.items():
        chat = u.private_chat(user) if chat_kind is ChatKind.PRIVATE else a_group(next(groups))
        said = [m.plain_text for m in await ask_all(rig, user, "/frobnicate", chat=chat)]
        wanted_unknown = [UNKNOWN] if chat_kind is ChatKind.PRIVATE else []
        if said != wanted_unknown:
            wrong.append(f"/frobnicate as {label} in a {chat_kind} chat: got {said}")
    assert not wrong, "\n".join(wrong)


async def farm_report_with_evidence(rig: DubanRig) -> int:
    ref = rig.api.add_file(b"\x89PNG\r\n\x1a\nfarm-evidence", mime_type="image/jpeg")
    reply = await rig.send_and_wait(
        u.photo_message(FARM, ref, caption="#A5.1 92% 秸秆综合利用已完成"), FARM.id
    )
    assert "已记录" in reply.plain_text
    async with rig.session() as session:
        report_id = await session.scalar(select(Report.id))
        assert report_id is not None
        return report_id


async def forged_press(rig: DubanRig, user: u.TgUser, data: str, on_message: object) -> str:
    """Press a button `data` the bot never gave `user`, on a message it sent them; the
    pop-up answer."""
    calls = rig.api.mark_calls()
    rig.inject(u.callback_query(user, data, on_message))
    answer = await rig.api.wait_call("answerCallbackQuery", since=calls, timeout=10)
    return str(answer.params.get("text", ""))


async def test_other_departments_items_stay_out_of_reach(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await set_up_people(rig)
    report_id = await farm_report_with_evidence(rig)

    for command in ("/history A5.1", "/evidence A5.1", "/report A5.1"):
        reply = await rig.ask(ECO, command)
        assert "不属于本单位" in reply.plain_text or "不是本单位" in reply.plain_text, command
        assert "秸秆综合利用已完成" not in reply.plain_text
    # The general item G1: ECO sees their own (empty) history, never 农业's.
    reply = await rig.ask(ECO, "/history G1")
    assert "尚无汇报记录" in reply.plain_text

    a51 = await binding_id(rig, "农业", "A5.1")
    g1 = await binding_id(rig, "农业", "G1")
    farm = await department_id(rig, "农业")
    own_listing = await rig.ask(ECO, "/items")
    welcome = await rig.ask(STRANGER, "/start")
    # Updates are handled one at a time: once the last press is answered, anything the
    # earlier ones sent would be there already; so one quiet check at the end covers all.
    since = rig.api.mark()
    for data in (f"item:{a51}", f"hist:{a51}:0", f"ev:{a51}", f"item:{g1}", f"hist:{g1}:0"):
        assert "无权" in await forged_press(rig, ECO, data, own_listing), data
    # The office's buttons are refused to a liaison and a stranger alike.
    for user, message in ((ECO, own_listing), (STRANGER, welcome)):
        for data in (
            f"dept:{farm}",
            f"item:{a51}",
            f"ev:{a51}",
            f"rv:a:{report_id}",
            f"rv:r:{report_id}",
            f"rv:e:{report_id}",
            f"ug:y:{farm}",
            "ug:n",
        ):
            assert "无权" in await forged_press(rig, user, data, message), (user.id, data)
    await rig.api.assert_quiet(ECO.id, since=since, seconds=0.3)
    await rig.api.assert_quiet(STRANGER.id, since=since, seconds=0.3)
    async with rig.session() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.review_state == "pending"
        binding = await session.scalar(
            select(Binding).join(Item, Item.id == Binding.item_id).where(Item.code == "A5.1")
        )
        assert binding is not None and binding.review_state == "pending"
