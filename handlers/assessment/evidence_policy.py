"""/needevidence CODE on|off (admin): whether reports on an item must carry evidence."""

from __future__ import annotations

from core.assessment.evidence_policy import set_evidence_required
from core.assessment.sql import SqlAssessment
from core.text.matching import code_from_args
from handlers.base import Turn, use_case

ON = {"on", "yes", "1", "是", "需要"}
OFF = {"off", "no", "0", "否", "不需要"}


@use_case("needevidence")
async def needevidence_command(turn: Turn) -> None:
    _ = turn._
    args = turn.args
    code, rest = code_from_args(args)
    choice = rest[0].lower() if len(rest) == 1 else ""
    if code is None or choice not in ON | OFF:
        await turn.reply(_("Usage: /needevidence CODE on|off, e.g. /needevidence A5.1 on"))
        return
    required = choice in ON
    if not await set_evidence_required(
        SqlAssessment(turn.session),
        code=code,
        required=required,
        actor_tg_id=turn.actor.tg_id,
        now=turn.now,
    ):
        await turn.reply(_("There is no item {code}.").format(code=code))
        return
    if required:
        await turn.reply(
            _("Reports on {code} now need at least one photo or document.").format(code=code)
        )
    else:
        await turn.reply(_("Evidence for {code} is now asked for, not required.").format(code=code))
