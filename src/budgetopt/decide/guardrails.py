"""[guardrails] on what the decision engine switches off: frozen creatives and creatives a person kept on
(`budgetopt override … --keep`) are never paused, a segment's last active creative is never paused, and
at most `max_paused_per_day` creatives are paused in one plan (the surest losers, lowest chance to be
best, first). A creative a guardrail keeps on is judged `keep` and stays under test (it gets traffic, never
rests), its segment's shares are recomputed by the engine's rules, and its reason and `Decisions.guarded`
name the guardrail.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from budgetopt.config import DecideSection, GuardrailsSection
from budgetopt.decide.engine import Decisions, creative_shares
from budgetopt.decide.verdicts import DISABLE, KEEP
from budgetopt.estimate import History


def _stop(guarded: np.ndarray, candidates: np.ndarray, label: str | np.ndarray) -> None:
    """Mark `candidates` (cells,) bool as kept on by `label` (one, or one per cell), in place."""
    guarded[candidates] = label[candidates] if isinstance(label, np.ndarray) else label


def guard_creatives(
    d: Decisions, h: History, settings: GuardrailsSection, rules: DecideSection, disabled_before: np.ndarray,
    frozen: np.ndarray, kept: np.ndarray,
) -> Decisions:
    """The decisions with the guardrails applied (see the module doc). disabled_before: (cells,) disabled on an
    earlier day (not a new pause); frozen, kept: (cells,) the freeze entry or override that holds a cell ('' = none)."""
    n = h.n_cells
    new = (d.verdict == DISABLE) & ~disabled_before
    guarded = np.full(n, "", dtype=object)
    if len(kept):
        _stop(guarded, new & (kept != ""), kept)
    if len(frozen):
        _stop(guarded, new & (frozen != "") & (guarded == ""), frozen)
    pausing = new & (guarded == "")
    if settings.keep_last_creative and n:
        on_before = ~h.paused & ~disabled_before
        left = np.add.reduceat((on_before & ~pausing).astype(int), h.segment_start)
        had = np.add.reduceat(on_before.astype(int), h.segment_start)
        for s in np.flatnonzero((left == 0) & (had > 0) & (np.add.reduceat(pausing.astype(int), h.segment_start) > 0)):
            cells = np.flatnonzero(pausing & (h.segment_index == s))  # rare: the engine keeps each segment's leader
            guarded[cells[np.argmax(d.p_best[cells])]] = "[guardrails] keep_last_creative"
        pausing &= guarded == ""
    limit = settings.max_paused_per_day
    if limit is not None and pausing.sum() > limit:
        order = np.flatnonzero(pausing)[np.argsort(d.p_best[pausing], kind="stable")]  # surest losers first
        _stop(guarded, np.isin(np.arange(n), order[limit:]), f"[guardrails] max_paused_per_day {limit}")
    if not (guarded != "").any():
        return d
    verdict = d.verdict.copy()
    verdict[guarded != ""] = KEEP
    share = creative_shares(h, d.p_best, verdict, rules, kept_on=guarded != "")  # the engine's rules: no other segment moves
    explain = d.explain

    def reasons(decisions: Decisions) -> list[str]:
        said = explain(decisions) if explain else [""] * n
        return [f"kept on by {g} (the engine would pause it); {r}" if g else r for g, r in zip(guarded, said)]

    return replace(d, verdict=verdict, share=share, guarded=guarded, explain=reasons)

