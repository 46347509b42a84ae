"""Scoring (考核结果, issue 20): the scheme, item scores with deductions, bonus, penalty,
vetoes, grades and ranks. Pure arithmetic in `engine`; everything else reads and stages
through the narrow ports and never commits (the caller's unit of work does, once).

Map of the public functions (for the year-end workflow and every screen):

- `core.scoring.engine` (pure, Decimal):
  `compute_results(SchemeRules, [DepartmentInput], [BindingInput]) -> [DepartmentResult]`,
  `item_score(points, deductions)`, `capped`, `grade_for`, `apply_vetoes`, `rank`,
  `in_rank_order(results)`; `DepartmentResult` has total, converted (折算分), bonus,
  penalty, score, grade, vetoes, remaining, provisional, rank, rank_provisional, items.
- `core.scoring.points`: `split_block(share, n)`, `default_points(slots, ...)` (30/70
  blocks in steps of 0.5, remainder on the last item; or the document's 分值).
- `core.scoring.amounts`: `parse_amount(text) -> Decimal` (raises `BadAmount`),
  `show(Decimal) -> str` (the one way an amount is written), `rounded`.
- `core.scoring.ports`: `ScoringReader` / `ScoringWriter` Protocols, `ScoreBook`
  (campaign, scheme, conditions, departments, lines, adjustments, vetoes), `ScoreLine`,
  `YearRecord`; `core.scoring.sql.SqlScoring(session)` implements both.
- `core.scoring.results`: `results_of(book) -> [DepartmentResult]` — THE results;
  `rules_of(scheme)`, `confirmed(line)`.
- `core.scoring.usecases` (scheme): `ensure_scheme`, `confirm_scheme`, `reopen_scheme`,
  `set_points`, `set_grades` (+ `parse_grades`), `set_caps`, `set_supporting`,
  `set_grade_on`, `set_shares`, `set_rule`, `define_veto`, `find_department`;
  `Actor(tg_id, now)`; every refusal is `ScoringRefused(reason, **detail)`.
- `core.scoring.acts` (on a confirmed scheme): `score_item`, `propose_deductions`,
  `decide_proposal`, `add_adjustment` / `undo_adjustment` (bonus, penalty),
  `apply_veto` / `undo_veto`, `confirmed_book`, `current_score`.
- `core.scoring.views`: text of /results, /scheme and a department's deductions,
  shared by Telegram, the command line and the dashboard.

Example (inside a use case that owns `session`):

    store = SqlScoring(session)
    book = await store.book(campaign_id)
    for result in in_rank_order(results_of(book)): ...
"""
