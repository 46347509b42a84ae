"""/points and /scheme (admin, private): the scoring scheme (评分办法) before scoring.

/points CODE N [REASON] — every binding of the item; /points DEPT CODE N [REASON] — one.
/scheme — show; /scheme confirm; /scheme reopen REASON; and before confirmation:
/scheme grades 优秀 90 良好 80 合格 60 不合格 · /scheme caps BONUS PENALTY ·
/scheme supporting on|off [SHARE] · /scheme gradeon raw|converted ·
/scheme shares COMMON OWN · /scheme rule past_due N · /scheme veto CODE EFFECT NAME.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.scoring import usecases as uc
from core.scoring.amounts import show
from core.scoring.results import results_of
from core.scoring.usecases import ScoringRefused, SettingChange
from core.scoring.views import scheme_text
from core.text.matching import normalize_code
from core.text.split import split_sections
from handlers.base import Turn, use_case
from handlers.scoring.common import actor, amount, refusal_text, store

POINTS_USAGE = "/points CODE N [REASON] · /points DEPT CODE N [REASON]"


@use_case("points")
async def points_command(turn: Turn) -> None:
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    department: str | None = None
    if len(args) >= 2 and normalize_code(args[0]) is not None:
        code, value_text, rest = args[0], args[1], args[2:]
    elif len(args) >= 3:
        department, code, value_text, rest = args[0], args[1], args[2], args[3:]
    else:
        await turn.reply(_("Usage: {usage}").format(usage=POINTS_USAGE))
        return
    value = amount(value_text)
    if value is None:
        await turn.reply(
            _("“{text}” is not a number of points. Nothing was changed.").format(
                text=value_text[:20]
            )
        )
        return
    port = store(turn)
    try:
        book, lines = await uc.set_points(
            port,
            port,
            actor(turn),
            code=code,
            points=value,
            department=department,
            reason=" ".join(rest),
        )
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    totals = {r.department_id: r.points for r in results_of(book)}
    names = {d.id: d.name for d in book.departments}
    affected = "、".join(
        f"{names[line.department_id]} {show(totals[line.department_id])}" for line in lines[:10]
    )
    await turn.reply(
        _("{code}: {points} points for {count} binding(s). Department totals now: {totals}").format(
            code=lines[0].code, points=show(value), count=len(lines), totals=affected
        )
    )


async def _long_reply(turn: Turn, text: str) -> None:
    """A text that may pass Telegram's 4096 characters (a table document lists every
    department whose points are not 100), in as many messages as it needs."""
    for chunk in split_sections(text.split("\n"), separator="\n"):
        await turn.reply(chunk.text)


async def _setting(turn: Turn, change: Callable[[], Awaitable[SettingChange]]) -> None:
    _ = turn._
    try:
        done = await change()
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    await turn.reply(
        _("Scheme changed: {before} → {after}.").format(before=done.before or "—", after=done.after)
    )


@use_case("scheme")
async def scheme_command(turn: Turn) -> None:
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    port, who = store(turn), actor(turn)
    sub = args[0].lower() if args else ""
    rest = args[1:]
    try:
        if sub == "":
            book = await uc.ensure_scheme(port, port, who)
            await _long_reply(
                turn, scheme_text(book, results_of(book), _, turn.services.settings.tz)
            )
            return
        if sub == "confirm":
            book = await uc.confirm_scheme(port, port, who)
            await _long_reply(
                turn,
                _("Scheme confirmed; scoring may start (/score DEPT).")
                + "\n\n"
                + scheme_text(book, results_of(book), _, turn.services.settings.tz),
            )
            return
        if sub == "reopen":
            await uc.reopen_scheme(port, port, who, " ".join(rest))
            await turn.reply(_("Scheme reopened for changes; confirm it again when done."))
            return
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    if sub == "grades":
        try:
            grades = uc.parse_grades(rest)
        except ScoringRefused as exc:
            await turn.reply(refusal_text(exc, _, turn))
            return
        await _setting(turn, lambda: uc.set_grades(port, port, who, grades))
        return
    if sub in ("caps", "shares") and len(rest) == 2:
        first, second = amount(rest[0]), amount(rest[1])
        if first is not None and second is not None:
            if sub == "caps":
                await _setting(turn, lambda: uc.set_caps(port, port, who, first, second))
            else:
                await _setting(turn, lambda: uc.set_shares(port, port, who, first, second))
            return
    if sub == "supporting" and rest and rest[0].lower() in ("on", "off"):
        share = amount(rest[1]) if len(rest) > 1 else None
        if len(rest) == 1 or share is not None:
            counts = rest[0].lower() == "on"
            await _setting(turn, lambda: uc.set_supporting(port, port, who, counts, share))
            return
    if sub == "gradeon" and len(rest) == 1:
        await _setting(turn, lambda: uc.set_grade_on(port, port, who, rest[0].lower()))
        return
    if sub == "rule" and len(rest) == 2:
        points = amount(rest[1])
        if points is not None:
            kind = rest[0].lower()
            await _setting(turn, lambda: uc.set_rule(port, port, who, kind, points))
            return
    if sub == "veto" and len(rest) >= 3:
        code, effect, name = rest[0], rest[1].lower(), " ".join(rest[2:])
        await _setting(
            turn, lambda: uc.define_veto(port, port, who, code=code, effect=effect, name=name)
        )
        return
    await turn.reply(
        _(
            "Usage: /scheme · /scheme confirm · /scheme reopen REASON · "
            "/scheme grades 优秀 90 良好 80 合格 60 不合格 · /scheme caps BONUS PENALTY · "
            "/scheme supporting on|off [SHARE] · /scheme gradeon raw|converted · "
            "/scheme shares COMMON OWN · /scheme rule past_due N · "
            "/scheme veto CODE fail|no_top|down_one NAME"
        )
    )
