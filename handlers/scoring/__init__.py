"""Scoring's Telegram adapters (issue 20): /points, /scheme, /score, /proposals, /bonus,
/penalty, /veto, /results. Thin: parse, call a `core.scoring` use case with the turn's
session as its reader and writer, turn `ScoringRefused` into one line."""
