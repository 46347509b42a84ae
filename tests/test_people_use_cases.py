"""The people use cases (core.people: handover, leave, invites, /join, /revoke) on a
recording fake of their Protocols (core/people/interfaces.py), no database: who ends up
with which role, what was staged, and that every refusal stages nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from core.people import handover, invites, leave, roster
from core.people.interfaces import (
    DepartmentMatch,
    DepartmentRef,
    HandoverStore,
    InviteInfo,
    InviteWriter,
    JoinStore,
    LeavePeriod,
    LeaveStore,
    NewInvite,
    Recipient,
    RevokeStore,
    RosterReader,
    UserInfo,
)

NOW = dt.datetime(2020, 5, 20, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2020, 5, 20)
FARM = DepartmentRef(5, "区农业农村局")
ECO = DepartmentRef(6, "区生态环境分局")


def liaison(tg_id: int, name: str, department: DepartmentRef, *, deputy: bool = False) -> UserInfo:
    return UserInfo(tg_id, name, "liaison", department.id, department.name, deputy, "zh")


@dataclass
class FakePeople:
    """Every people Protocol in memory; each staged change is noted in `staged`."""

    people: dict[int, UserInfo] = field(default_factory=dict)
    departments: list[DepartmentRef] = field(default_factory=lambda: [FARM, ECO])
    open_work: dict[int, int] = field(default_factory=dict)  # tg id -> unfinished drafts
    requests: dict[int, int] = field(default_factory=dict)  # from -> to
    leaves: dict[int, list[LeavePeriod]] = field(default_factory=dict)
    codes: dict[str, InviteInfo] = field(default_factory=dict)
    failures: int = 0
    claim_wins: bool = True
    staged: list[tuple[str, Any]] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    # UserReader, RoleWriter
    async def users(self, tg_ids: Collection[int]) -> dict[int, UserInfo]:
        return {t: self.people[t] for t in tg_ids if t in self.people}

    async def named_users(self, *, with_role: bool) -> list[UserInfo]:
        return [p for p in self.people.values() if p.role is not None or not with_role]

    async def set_role(
        self,
        tg_id: int,
        *,
        role: str | None,
        department_id: int | None,
        is_deputy: bool,
        display_name: str = "",
    ) -> None:
        name = next((d.name for d in self.departments if d.id == department_id), None)
        old = self.people.get(tg_id, UserInfo(tg_id, "", None, None, None, False, None))
        self.people[tg_id] = replace(
            old,
            role=role,
            department_id=department_id,
            department_name=name,
            is_deputy=is_deputy,
            display_name=display_name or old.display_name,
        )
        self.staged.append(("role", (tg_id, role, department_id, is_deputy)))

    # HandoverStore
    async def close_open_work(self, tg_id: int) -> int:
        self.staged.append(("closed", tg_id))
        return self.open_work.pop(tg_id, 0)

    async def pending_request(self, from_tg_id: int) -> int | None:
        return self.requests.get(from_tg_id)

    async def save_request(self, from_tg_id: int, to_tg_id: int, now: dt.datetime) -> None:
        self.requests[from_tg_id] = to_tg_id
        self.staged.append(("request", (from_tg_id, to_tg_id)))

    async def drop_request(self, from_tg_id: int) -> None:
        if self.requests.pop(from_tg_id, None) is not None:
            self.staged.append(("request dropped", from_tg_id))

    async def admins(self, configured: frozenset[int]) -> list[Recipient]:
        return [Recipient(t, None, "") for t in sorted(configured)]

    # LeaveStore
    async def leaves_from(self, tg_id: int, day: dt.date) -> list[LeavePeriod]:
        return sorted(
            (p for p in self.leaves.get(tg_id, []) if p.end >= day), key=lambda p: p.start
        )

    def add_leave(self, tg_id: int, period: LeavePeriod, now: dt.datetime) -> None:
        self.leaves.setdefault(tg_id, []).append(period)
        self.staged.append(("leave", period))

    async def cancel_leaves_from(self, tg_id: int, day: dt.date) -> int:
        kept = [p for p in self.leaves.get(tg_id, []) if p.end < day]
        removed = len(self.leaves.get(tg_id, [])) - len(kept)
        self.leaves[tg_id] = kept
        self.staged.append(("leave cancelled", removed))
        return removed

    # DepartmentReader, InviteWriter, JoinStore, RosterReader
    async def department_match(self, query: str) -> DepartmentMatch:
        found = [d for d in self.departments if query in d.name]
        return DepartmentMatch(found[0]) if len(found) == 1 else DepartmentMatch(None, tuple(found))

    async def department(self, department_id: int) -> DepartmentRef | None:
        return next((d for d in self.departments if d.id == department_id), None)

    async def active_departments(self) -> list[DepartmentRef]:
        return list(self.departments)

    def add_invite(self, invite: NewInvite) -> None:
        self.staged.append(("invite", invite))

    async def failures_since(self, tg_id: int, since: dt.datetime) -> int:
        return self.failures

    async def invite(self, code: str) -> InviteInfo | None:
        return self.codes.get(code)

    async def claim(self, invite_id: int, tg_id: int, now: dt.datetime) -> bool:
        if self.claim_wins:
            self.staged.append(("claimed", (invite_id, tg_id)))
        return self.claim_wins

    async def department_size(self, department_id: int) -> tuple[str | None, int]:
        found = await self.department(department_id)
        return (found.name if found else None), 12

    # AuditWriter
    def audit(
        self, *, at: dt.datetime, actor_tg_id: int | None, action: str, detail: dict[str, Any]
    ) -> None:
        self.audited.append(action)

    async def flush(self) -> None:
        pass


def _check_protocols(fake: FakePeople) -> None:
    """The fake satisfies every Protocol the use cases take (mypy checks this)."""
    stores: tuple[HandoverStore, LeaveStore, InviteWriter, JoinStore, RosterReader, RevokeStore]
    stores = (fake, fake, fake, fake, fake, fake)
    assert stores


# ---------------------------------------------------------------- handover


async def test_handover_moves_the_role_and_closes_the_old_liaisons_work() -> None:
    fake = FakePeople(people={1: liaison(1, "老王", FARM, deputy=True)}, open_work={1: 2})
    fake.requests[1] = 2
    _check_protocols(fake)
    done = await handover.hand_over(fake, from_tg_id=1, to_tg_id=2, actor_tg_id=99, now=NOW)
    assert done == handover.HandedOver(FARM.id, FARM.name, 1, 2, 2)
    new, old = fake.people[2], fake.people[1]
    assert (new.role, new.department_id, new.is_deputy) == ("liaison", FARM.id, True)
    assert (old.role, old.department_id, old.is_deputy) == (None, None, False)
    assert 1 not in fake.requests  # a pending request of the old liaison is gone too
    assert fake.audited == ["handover"]


@pytest.mark.parametrize(
    ("from_id", "to_id", "reason"),
    [(1, 1, "same_person"), (3, 2, "not_liaison"), (1, 99, "target_is_staff")],
)
async def test_handover_refusals_stage_nothing(from_id: int, to_id: int, reason: str) -> None:
    fake = FakePeople(
        people={
            1: liaison(1, "老王", FARM),
            3: UserInfo(3, "路人", None, None, None, False, None),
            99: UserInfo(99, "办公室", "admin", None, None, False, None),
        }
    )
    for attempt in (handover.hand_over, handover.request_handover):
        with pytest.raises(handover.HandoverRefused) as refused:
            if attempt is handover.hand_over:
                await handover.hand_over(
                    fake, from_tg_id=from_id, to_tg_id=to_id, actor_tg_id=99, now=NOW
                )
            else:
                await handover.request_handover(fake, from_tg_id=from_id, to_tg_id=to_id, now=NOW)
        assert refused.value.reason == reason
    assert fake.staged == [] and fake.audited == []


async def test_a_request_waits_for_the_office_and_a_refusal_drops_it() -> None:
    fake = FakePeople(people={1: liaison(1, "老王", FARM)})
    department = await handover.request_handover(fake, from_tg_id=1, to_tg_id=2, now=NOW)
    assert department == FARM.name
    assert fake.people[1].role == "liaison"  # nothing moves before the office confirms
    assert await handover.requested_target(fake, 1) == 2
    await handover.refuse_request(fake, 1)
    with pytest.raises(handover.HandoverRefused) as refused:
        await handover.requested_target(fake, 1)
    assert refused.value.reason == "no_request"
    assert fake.people[1].role == "liaison"


# ---------------------------------------------------------------- leave


async def test_leave_is_recorded_listed_and_cancelled() -> None:
    fake = FakePeople()
    _check_protocols(fake)
    period = await leave.add_leave(
        fake, tg_id=1, start=TODAY, end=TODAY + dt.timedelta(days=7), today=TODAY, now=NOW
    )
    assert fake.staged == [("leave", period)] and fake.audited == ["leave"]
    assert await leave.current_and_future(fake, 1, TODAY) == [period]
    assert await leave.cancel_leave(fake, 1, TODAY, NOW) == 1
    assert await leave.current_and_future(fake, 1, TODAY) == []
    assert fake.audited == ["leave", "leave_cancelled"]


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (TODAY, TODAY - dt.timedelta(days=1), "order"),
        (TODAY, TODAY + dt.timedelta(days=366), "too_long"),
        (TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=2), "past"),
    ],
)
async def test_leave_refusals_stage_nothing(start: dt.date, end: dt.date, reason: str) -> None:
    fake = FakePeople()
    with pytest.raises(leave.LeaveRefused) as refused:
        await leave.add_leave(fake, tg_id=1, start=start, end=end, today=TODAY, now=NOW)
    assert refused.value.reason == reason
    assert fake.staged == [] and fake.audited == []


# ---------------------------------------------------------------- invites and /join


async def test_an_invite_names_its_department_and_works_once() -> None:
    fake = FakePeople()
    choice = await invites.choose_department(fake, "农业")
    assert choice.found == FARM
    made = await invites.make_invite(
        fake,
        role="liaison",
        department=choice.found,
        created_by=99,
        now=NOW,
        ttl=dt.timedelta(days=7),
        deputy=True,
    )
    [(kind, staged)] = fake.staged
    assert kind == "invite" and staged.code == made.code and staged.deputy
    assert staged.department_id == FARM.id and made.department_name == FARM.name
    assert made.expires_at == NOW + dt.timedelta(days=7)
    assert len(made.code) == invites.CODE_LENGTH and set(made.code) <= set(invites.ALPHABET)

    fake.codes[made.code] = InviteInfo(1, "liaison", FARM.id, True, False, made.expires_at)
    joined = await invites.join(
        fake, tg_id=7, display_name="新联络员", code_text=made.code.lower(), now=NOW
    )
    assert joined == invites.Joined("liaison", FARM.name, 12)
    assert fake.people[7].role == "liaison" and fake.people[7].department_id == FARM.id
    assert fake.people[7].is_deputy and fake.people[7].display_name == "新联络员"


async def test_a_leader_invite_gives_no_department() -> None:
    leader_code = InviteInfo(2, "leader", None, True, False, NOW + dt.timedelta(days=1))
    fake = FakePeople(codes={"ABCDEFGHJK": leader_code})
    joined = await invites.join(fake, tg_id=8, display_name="", code_text="ABCDEFGHJK", now=NOW)
    assert joined == invites.Joined("leader", None, 0)
    person = fake.people[8]
    assert (person.role, person.department_id, person.is_deputy) == ("leader", None, False)


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        ("NOSUCHCODE", invites.JoinFailure.UNKNOWN),
        ("USEDUSED22", invites.JoinFailure.USED),
        ("EXPIRED222", invites.JoinFailure.EXPIRED),
        ("  ", invites.JoinFailure.NO_CODE),
    ],
)
async def test_a_bad_code_changes_no_role(code: str, failure: invites.JoinFailure) -> None:
    fake = FakePeople(
        codes={
            "USEDUSED22": InviteInfo(1, "liaison", FARM.id, False, True, NOW + dt.timedelta(1)),
            "EXPIRED222": InviteInfo(2, "liaison", FARM.id, False, False, NOW),
        }
    )
    with pytest.raises(invites.JoinError) as refused:
        await invites.join(fake, tg_id=7, display_name="x", code_text=code, now=NOW)
    assert refused.value.failure is failure
    assert fake.staged == [] and 7 not in fake.people
    # A wrong code counts towards the limit; an empty one is only a usage mistake.
    assert fake.audited == ([] if failure is invites.JoinFailure.NO_CODE else ["join_failed"])


async def test_too_many_tries_and_a_lost_race_change_nothing() -> None:
    valid = InviteInfo(1, "liaison", FARM.id, False, False, NOW + dt.timedelta(days=1))
    fake = FakePeople(codes={"GOODCODE22": valid}, failures=invites.MAX_FAILURES)
    with pytest.raises(invites.JoinError) as refused:
        await invites.join(fake, tg_id=7, display_name="x", code_text="GOODCODE22", now=NOW)
    assert refused.value.failure is invites.JoinFailure.TOO_MANY_TRIES
    fake.failures, fake.claim_wins = 0, False  # someone else claimed the code first
    with pytest.raises(invites.JoinError) as refused:
        await invites.join(fake, tg_id=7, display_name="x", code_text="GOODCODE22", now=NOW)
    assert refused.value.failure is invites.JoinFailure.USED
    assert fake.staged == [] and 7 not in fake.people


# ---------------------------------------------------------------- roster and /revoke


async def test_users_lists_main_liaisons_before_deputies_by_department() -> None:
    fake = FakePeople(
        people={
            1: liaison(1, "副手", FARM, deputy=True),
            2: liaison(2, "主联络员", FARM),
            3: UserInfo(3, "领导", "leader", None, None, False, None),
            4: UserInfo(4, "旧单位", "liaison", 77, "去年的单位", False, None),
            5: UserInfo(5, "办公室", "admin", None, None, False, None),
        }
    )
    listing = await roster.people(fake)
    farm, eco = listing.departments
    assert [p.display_name for p in farm.liaisons] == ["主联络员", "副手"]
    assert eco.liaisons == ()
    assert [(d, p.tg_id) for d, p in listing.other_liaisons] == [("去年的单位", 4)]
    assert [p.tg_id for p in listing.leaders] == [3] and [p.tg_id for p in listing.admins] == [5]


async def test_revoke_takes_the_role_away_by_name_or_id() -> None:
    fake = FakePeople(people={2: liaison(2, "王 小明", FARM), 3: liaison(3, "李四", ECO)})
    by_name = await roster.revoke(
        fake, query="＠王小明", admin_ids=frozenset(), actor_tg_id=9, now=NOW
    )
    assert by_name == roster.Revoked(2, "王 小明", "liaison", FARM.name)
    by_id = await roster.revoke(fake, query="3", admin_ids=frozenset(), actor_tg_id=9, now=NOW)
    assert by_id == roster.Revoked(3, "李四", "liaison", ECO.name)
    assert all(p.role is None and p.department_id is None for p in fake.people.values())
    assert fake.audited == ["revoke", "revoke"]


@pytest.mark.parametrize(
    ("query", "failure"),
    [
        ("404", roster.RevokeFailure.NOT_FOUND),
        ("王", roster.RevokeFailure.AMBIGUOUS),
        ("1", roster.RevokeFailure.CONFIGURED_ADMIN),
        ("3", roster.RevokeFailure.NO_ROLE),
    ],
)
async def test_revoke_refusals_stage_nothing(query: str, failure: roster.RevokeFailure) -> None:
    fake = FakePeople(
        people={
            1: UserInfo(1, "主任", "admin", None, None, False, None),
            2: liaison(2, "王一", FARM),
            3: UserInfo(3, "路人", None, None, None, False, None),
            4: liaison(4, "王二", ECO),
        }
    )
    with pytest.raises(roster.RevokeRefused) as refused:
        await roster.revoke(fake, query=query, admin_ids=frozenset({1}), actor_tg_id=9, now=NOW)
    assert refused.value.failure is failure
    if failure is roster.RevokeFailure.AMBIGUOUS:
        assert {p.tg_id for p in refused.value.candidates} == {2, 4}
    assert fake.staged == [] and fake.audited == []
