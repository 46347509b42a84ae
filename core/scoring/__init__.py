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
- `core.scoring.ports`: `ScoringReader` (with `final(campaign_id)`) / `ScoringWriter`
  Protocols, `ScoreBook` (campaign, scheme, conditions, departments, lines, adjustments,
  vetoes), `ScoreLine`, `YearRecord`; `core.scoring.sql.SqlScoring(session)` implements both.
- `core.scoring.results`: `results_of(book) -> [DepartmentResult]` — THE results;
  `rules_of(scheme)`, `confirmed(line)`.
- `core.scoring.usecases` (scheme): `ensure_scheme`, `confirm_scheme`, `reopen_scheme`,
  `set_points`, `set_grades` (+ `parse_grades`), `set_caps`, `set_supporting`,
  `set_grade_on`, `set_shares`, `set_rule`, `define_veto`, `find_department`;
  `Actor(tg_id, now)`; every refusal is `ScoringRefused(reason, **detail)`.
  `changeable_book` is where every changing act starts: it refuses with "final" once
  /finalize made the results final (`reader.final`, read by `core.yearend.state`).
  The year end's appeal decisions go through these same acts (before final).
- `core.scoring.acts` (on a confirmed scheme): `score_item`, `propose_deductions`,
  `decide_proposal`, `add_adjustment` / `undo_adjustment` (bonus, penalty),
  `apply_veto` / `undo_veto`, `confirmed_book` (for a change: locked once final),
  `readable_book` (to read, e.g. the 评分表 download), `current_score`.
- `core.scoring.views`: text of /results (`results_header`, `results_sections`), /scheme
  (`scheme_text`), a department's deductions (`department_detail`), an item's year
  (`year_text`), `effect_label`, `deduction_reason`. Beside /score DEPT's entry, the
  department's submitted self-assessment: `core.yearend.review` (`self_review` reads it
  once per card, `self_entry_text` writes the line).
- `core.scoring.records`: `result_records(book)` — one dict per department in rank order
  (department, class, score, grade, rank, veto, provisional, ...): the JSON of
  `assess results`, `/api/results` and the export; `scoring_sheets(book)` for 考核结果 and
  评分明细.
- `core.scoring.sheet`: the 评分表 round trip: `sheet_bytes`, `read_sheet`, `plan`.
- Storage (storage/models.py, "scoring (issue 20)" block): ScoringScheme, VetoCondition,
  BindingPoints, ItemScore, Deduction, ScoreAdjustment, VetoRecord, ScoreAudit.

Example (inside a use case that owns `session`):

    store = SqlScoring(session)
    book = await store.book(campaign_id)
    for result in in_rank_order(results_of(book)): ...
"""
