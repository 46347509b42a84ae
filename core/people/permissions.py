"""Who may use which command: one table, command x role, read by handlers, /help and menus.

A command's row says which roles may run it and in which chats. Handlers ask
`check(command, actor, chat_kind)` and turn a refusal into a polite reply; /help and
Telegram's command menus are built from the same table, so what a user is shown is
exactly what they may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.text.i18n import N_


class Role(StrEnum):
    STRANGER = "stranger"
    LIAISON = "liaison"
    LEADER = "leader"
    ADMIN = "admin"


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


ALL = frozenset(Role)
STAFF = frozenset({Role.LEADER, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})
LIAISON = frozenset({Role.LIAISON})
READERS = frozenset({Role.LIAISON, Role.LEADER, Role.ADMIN})
PRIVATE = frozenset({ChatKind.PRIVATE})
ANYWHERE = frozenset(ChatKind)


@dataclass(frozen=True)
class CommandRule:
    name: str
    roles: frozenset[Role]
    chats: frozenset[ChatKind]
    description: str  # an English msgid, translated when shown
    args: str = ""  # how to call it, shown in /help


# The order is the order of /help and of the command menu.
COMMANDS: tuple[CommandRule, ...] = (
    CommandRule("start", ALL, ANYWHERE, N_("welcome and what you can do")),
    CommandRule("help", ALL, ANYWHERE, N_("the commands you may use")),
    CommandRule(
        "join", frozenset({Role.STRANGER}), PRIVATE, N_("join with an invite code"), "CODE"
    ),
    CommandRule("items", LIAISON, PRIVATE, N_("your department's items")),
    CommandRule("report", LIAISON, PRIVATE, N_("report progress on an item"), "[CODE]"),
    CommandRule("evidence", READERS, PRIVATE, N_("the evidence of an item"), "CODE"),
    CommandRule("history", READERS, PRIVATE, N_("the reports of an item"), "CODE"),
    CommandRule("leave", LIAISON, PRIVATE, N_("days without reminders"), "START END"),
    CommandRule(
        "handover",
        frozenset({Role.LIAISON, Role.ADMIN}),
        PRIVATE,
        N_("hand the liaison role to another person"),
        "[FROM] TO",
    ),
    CommandRule("status", STAFF, ANYWHERE, N_("overview of all departments")),
    CommandRule("dept", STAFF, ANYWHERE, N_("one department in detail"), "NAME"),
    CommandRule("item", STAFF, ANYWHERE, N_("one item across departments"), "CODE"),
    CommandRule("overdue", STAFF, ANYWHERE, N_("items past deadline or silent")),
    CommandRule("dashboard", READERS, ANYWHERE, N_("the dashboard: charts and figures")),
    CommandRule(
        "invite", ADMIN, PRIVATE, N_("an invite code for a liaison or leader"), "DEPT|leader"
    ),
    CommandRule("users", ADMIN, PRIVATE, N_("liaisons and leaders by department")),
    CommandRule("revoke", ADMIN, PRIVATE, N_("remove a user's role"), "USER"),
    CommandRule(
        "setgroup", ADMIN, frozenset({ChatKind.GROUP}), N_("make this group the office group")
    ),
    CommandRule("digest", ADMIN, ANYWHERE, N_("send today's digest now")),
    CommandRule("urge", ADMIN, PRIVATE, N_("urge a department (催办)"), "DEPT [text]"),
    CommandRule("review", ADMIN, PRIVATE, N_("reports awaiting review")),
    CommandRule("export", ADMIN, PRIVATE, N_("the campaign as an Excel workbook"), "[YEAR]"),
    CommandRule(
        "import", ADMIN, PRIVATE, N_("send a .docx/.pdf/.doc/.wps/.txt with this caption to import")
    ),
    CommandRule("adddept", ADMIN, PRIVATE, N_("add a department to the campaign"), "NAME [B]"),
    CommandRule("bind", ADMIN, PRIVATE, N_("bind an item to a department"), "DEPT CODE"),
    CommandRule("unbind", ADMIN, PRIVATE, N_("remove an item from a department"), "DEPT CODE"),
    CommandRule("deadline", ADMIN, PRIVATE, N_("set an item's deadline"), "CODE YYYY-MM-DD"),
    CommandRule(
        "needevidence", ADMIN, PRIVATE, N_("whether an item's reports need evidence"), "CODE on|off"
    ),
    # -- supervision (issue 22) --
    CommandRule(
        "extend",
        LIAISON,
        PRIVATE,
        N_("ask the office to extend an item's due date"),
        "CODE YYYY-MM-DD REASON",
    ),
    CommandRule(
        "measures", LIAISON, PRIVATE, N_("your rectification measures (整改措施)"), "CODE TEXT"
    ),
    CommandRule(
        "extdecide",
        ADMIN,
        PRIVATE,
        N_("approve or reject an extension, with a comment"),
        "ID approve|reject [COMMENT]",
    ),
    CommandRule(
        "milestones", ADMIN, PRIVATE, N_("set an item's milestones"), "CODE YYYY-MM-DD…|clear"
    ),
    CommandRule(
        "pace", ADMIN, PRIVATE, N_("whether an item is paced along the year"), "CODE on|off"
    ),
    # -- end supervision --
    # -- scoring (issue 20): admins write; leaders read /results; in private chats only,
    # so no score is ever shown in a group a liaison may read.
    CommandRule("scheme", ADMIN, PRIVATE, N_("the scoring scheme; confirm it"), "[confirm]"),
    CommandRule("points", ADMIN, PRIVATE, N_("an item's points"), "[DEPT] CODE N"),
    CommandRule(
        "score", ADMIN, PRIVATE, N_("score a department's items"), "DEPT [CODE POINTS REASON]"
    ),
    CommandRule(
        "proposals", ADMIN, PRIVATE, N_("deductions proposed from the year's record"), "[DEPT]"
    ),
    CommandRule("bonus", ADMIN, PRIVATE, N_("bonus points for a department"), "DEPT POINTS REASON"),
    CommandRule(
        "penalty", ADMIN, PRIVATE, N_("penalty points for a department"), "DEPT POINTS REASON"
    ),
    CommandRule(
        "veto",
        ADMIN,
        PRIVATE,
        N_("a veto (一票否决) for a department"),
        "DEPT CONDITION GROUNDS BY",
    ),
    CommandRule(
        "scores", ADMIN, PRIVATE, N_("the scoring sheet (评分表); send it back with this caption")
    ),
    CommandRule("results", STAFF, PRIVATE, N_("scores, grades and ranks by class")),
    # -- end scoring --
    # The year end (issue 21): self-assessment, site checks, feedback, re-check, approval.
    CommandRule(
        "assess",
        ADMIN,
        PRIVATE,
        N_("the self-assessment window (自评)"),
        "open [YYYY-MM-DD]|close|show DEPT|return DEPT text|status",
    ),
    CommandRule(
        "selfassess", LIAISON, PRIVATE, N_("your department's self-assessment"), "[CODE SCORE]"
    ),
    CommandRule(
        "sitecheck",
        ADMIN,
        PRIVATE,
        N_("a site check record (实地核查)"),
        "DEPT YYYY-MM-DD who | findings",
    ),
    CommandRule(
        "feedback",
        frozenset({Role.LIAISON, Role.ADMIN}),
        PRIVATE,
        N_("results fed back to each department (反馈); a liaison: their own"),
    ),
    CommandRule(
        "appeal",
        frozenset({Role.LIAISON, Role.ADMIN}),
        PRIVATE,
        N_("ask for a re-check, or decide one (复核)"),
        "[CODE reason]",
    ),
    CommandRule(
        "approve", ADMIN, PRIVATE, N_("record the approval (审定)"), "BODY YYYY-MM-DD NUMBER"
    ),
    CommandRule("finalize", ADMIN, PRIVATE, N_("lock every score (定稿)"), "[reopen REASON]"),
    CommandRule("lang", ALL, ANYWHERE, N_("language: zh or en"), "zh|en"),
    CommandRule("cancel", ALL, PRIVATE, N_("cancel what you are doing")),
)
RULES = {rule.name: rule for rule in COMMANDS}


class Decision(StrEnum):
    ALLOWED = "allowed"
    UNKNOWN_COMMAND = "unknown"
    ROLE = "role"  # this role may not use it
    CHAT = "chat"  # allowed, but not in this kind of chat


def check(command: str, role: Role, chat: ChatKind) -> Decision:
    rule = RULES.get(command)
    if rule is None:
        return Decision.UNKNOWN_COMMAND
    if role not in rule.roles:
        return Decision.ROLE
    if chat not in rule.chats:
        return Decision.CHAT
    return Decision.ALLOWED


# The dashboard's API routes that not every dashboard user may read (issue 20): the
# results are for leaders and admins; a liaison (or anyone else) gets 403 and no data.
ROUTES: dict[str, frozenset[Role]] = {
    "/api/results": STAFF,
    # The 考核 tab (issue 21): a liaison reads their own department's result, and only
    # after its feedback (core.yearend.view decides the rows; anything else is 403).
    "/api/assessment": READERS,
    "/api/assessment/{id}": READERS,
}


def may_read_route(route: str, role: Role) -> bool:
    """Whether `role` may read API `route` (routes not in ROUTES follow their own scope)."""
    allowed = ROUTES.get(route)
    return allowed is None or role in allowed


def commands_for(role: Role, chat: ChatKind | None = None) -> list[CommandRule]:
    """The commands this role may use (in this kind of chat, if given), in menu order."""
    return [
        rule for rule in COMMANDS if role in rule.roles and (chat is None or chat in rule.chats)
    ]
