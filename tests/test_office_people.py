"""/users and /revoke end to end on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditLog, Report, User
from tests.office_support import ECO, FARM, STRANGER, report, speak_english
from tests.support.duban import ADMIN, LEADER, DubanRig


async def user_row(rig: DubanRig, tg_id: int) -> User:
    async with rig.session() as session:
        user = await session.scalar(select(User).where(User.tg_id == tg_id))
        assert user is not None
        return user


async def test_users_lists_people_by_department(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态环境")
    await rig.join(LEADER, None)
    await speak_english(rig, ADMIN)
    reply = await rig.ask(ADMIN, "/users")
    text = reply.plain_text
    farm = text.split("区农业农村局\n")[1].split("\n\n")[0]
    assert "农业联络员" in farm and str(FARM.id) in farm
    assert "生态联络员" in text.split("市生态环境局雨花分局\n")[1].split("\n\n")[0]
    assert "Departments without a liaison (15)" in text and "区商务局" in text
    assert "领导 李" in text.split("Leaders")[1].split("\n\n")[0]
    assert str(ADMIN.id) in text.split("Office staff")[1]
    assert str(STRANGER.id) not in text


async def test_revoke_removes_role_keeps_reports_and_refuses_config_admins(
    rig: DubanRig,
) -> None:
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态环境")
    await speak_english(rig, ADMIN)
    report_id = await report(rig, "农业", "A5.1", "in_progress", "60", by=FARM)

    reply = await rig.ask(ADMIN, f"/revoke {FARM.id}")
    assert reply.plain_text.startswith(f"农业联络员 ({FARM.id}) is no longer department liaison")
    user = await user_row(rig, FARM.id)
    assert (user.role, user.department_id) == (None, None)
    async with rig.session() as session:
        kept = await session.get(Report, report_id)
        assert kept is not None and kept.reporter_id == user.id
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "revoke"))
        assert audit is not None and audit.actor_tg_id == ADMIN.id
        assert audit.detail["tg_id"] == FARM.id and audit.detail["role"] == "liaison"
    # They are a stranger now.
    refused = await rig.ask(FARM, "/items")
    assert "无权" in refused.plain_text

    # By display name, with or without @.
    reply = await rig.ask(ADMIN, "/revoke @生态联络员")
    assert "is no longer department liaison" in reply.plain_text
    assert (await user_row(rig, ECO.id)).role is None

    # Refusals change nothing.
    reply = await rig.ask(ADMIN, f"/revoke {ADMIN.id}")
    assert "ADMIN_IDS" in reply.plain_text and "Nothing was changed" in reply.plain_text
    assert (await user_row(rig, ADMIN.id)).role == "admin"
    assert "no role to remove" in (await rig.ask(ADMIN, f"/revoke {FARM.id}")).plain_text
    assert "No user matches" in (await rig.ask(ADMIN, "/revoke 12345")).plain_text
    assert "Usage: /revoke" in (await rig.ask(ADMIN, "/revoke")).plain_text
    async with rig.session() as session:
        rows = (await session.scalars(select(AuditLog).where(AuditLog.action == "revoke"))).all()
        assert len(rows) == 2


ODD = ["<b>x</b>", "'; DROP TABLE report; --", "９２％", "\u200b", "A" * 300, "9" * 30]


async def test_odd_arguments_get_an_answer_and_change_nothing(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    failure = "抱歉"  # the error handler's apology: must never be needed
    for command in (
        "/dept",
        "/item",
        "/urge",
        "/revoke",
        "/status",
        "/overdue",
        "/users",
        "/review",
    ):
        for argument in ODD:
            reply = await rig.ask(ADMIN, f"{command} {argument}")
            assert failure not in reply.plain_text, (command, argument, reply.plain_text)
    assert (await user_row(rig, FARM.id)).role == "liaison"
    async with rig.session() as session:
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "urge")) is None
