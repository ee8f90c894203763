"""HTML reports a traffic manager would forward: tomorrow's plan, and the A/B decisions alone.

Each report is a folder: a self-contained `index.html` (figures embedded, nothing loaded from the
network) and the same figures as PNG files beside it. Every name from the ad platform goes through
`report.html`, which escapes it, and is drawn by `report.figures` as plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from budgetopt.allocate.explain import binding_in_words, money
from budgetopt.changes import Changes
from budgetopt.changes.diff import CHANGE_COLUMNS
from budgetopt.config import Policy
from budgetopt.decide.engine import format_loss
from budgetopt.decide.verdicts import Verdict
from budgetopt.estimate.dispersion import noisy_days_in_words
from budgetopt.plan import PlanResult
from budgetopt.report import figures
from budgetopt.report.html import (
    Excerpt,
    Figure,
    Section,
    excerpt,
    figure_png,
    write_report,
)
from budgetopt.report.pacing import pacing_sections
from budgetopt.report.risk import risk_sections
from budgetopt.report.scales import rate_text

#: segments drawn as a figure of their creatives; the rest (smallest budgets, or fewest visits) get
#: their table only, so a 500-segment account still renders in seconds and stays a few MB
MAX_SEGMENT_FIGURES = 30
#: segments with a section of their own; the creatives of the others share one table (its ends shown)
MAX_SEGMENT_SECTIONS = 60
#: bars drawn at each end of the spend and margin figures (the largest raises and cuts, margins)
MAX_SEGMENT_BARS = 15
#: rows shown at each end of a long table (the CSV files have every row)
MAX_TABLE_ROWS = 15
#: binding constraints listed (the largest shadow prices; summary.json has every one)
MAX_BINDING = 15

VERDICT_ORDER = (Verdict.WINNER, Verdict.KEEP, Verdict.TOO_EARLY, Verdict.DISABLE, Verdict.PAUSED)
VERDICT_WORDS = {
    Verdict.WINNER: "declared winners",
    Verdict.KEEP: "still testing",
    Verdict.TOO_EARLY: "too early to judge",
    Verdict.DISABLE: "disabled by the decision engine",
    Verdict.PAUSED: "paused by you",
}



def _interval(mean: float, low: float, high: float, metric: str) -> str:
    if metric == "conversion_rate":
        return f"{rate_text(mean)} ({rate_text(low)} to {rate_text(high)})"
    return f"{mean:,.2f} ({low:,.2f} to {high:,.2f})"


def _metric_name(metric: str, currency: str) -> str:
    return "conversion rate" if metric == "conversion_rate" else f"margin per {currency} spent"


def _metric_title(metric: str, currency: str) -> str:
    return f"{_metric_name(metric, currency)}, 90 % interval"


def _verdict_counts(verdicts: pd.Series) -> str:
    counts = verdicts.value_counts()
    parts = [f"{counts[v]} {VERDICT_WORDS[v]}" for v in VERDICT_ORDER if counts.get(v, 0)]
    return f"{len(verdicts)} creatives: " + ", ".join(parts) + "."


def _rules(policy: Policy) -> str:
    rules, cur = policy.decide, policy.budget.currency
    return (
        f"Creatives are compared within their segment on {_metric_name(rules.metric, cur)}. A creative is disabled when "
        f"its chance of being best falls below {rules.disable_below_p_best:.1%} after at least "
        f"{rules.min_visits_before_disable:,.0f} visits (never the segment's leader); the leader is declared the winner when "
        f"choosing it risks less than {format_loss(rules.winner_expected_loss, rules.metric, cur)}; below "
        f"{rules.min_visits_before_disable:,.0f} visits a creative is too early to judge. Bars are 90 % credible intervals."
    )


def _creatives_table(rows: pd.DataFrame, metric: str, currency: str, plan_rows: pd.DataFrame | None) -> pd.DataFrame:
    table = pd.DataFrame({
        "creative": rows["creative"].astype(str).to_numpy(),
        "verdict": rows["verdict"].astype(str).to_numpy(),
        "visits": rows["visits"].round().astype(int).to_numpy(),
        "conversions": rows["conversions"].round().astype(int).to_numpy(),
        "conversion rate, 90 % interval": [
            _interval(m, lo, hi, "conversion_rate") for m, lo, hi in zip(rows["cvr_mean"], rows["cvr_p05"], rows["cvr_p95"])
        ],
    })
    if metric != "conversion_rate":
        table[_metric_title(metric, currency)] = [
            _interval(m, lo, hi, metric) for m, lo, hi in zip(rows["metric_mean"], rows["metric_p05"], rows["metric_p95"])
        ]
    table["chance to be best"] = [f"{p:.1%}" for p in rows["p_best"]]
    if plan_rows is not None:
        table["share"] = [f"{s:.0%}" for s in plan_rows["share"]]
        table[f"tomorrow ({currency})"] = plan_rows["spend"].astype(float).to_numpy()
    # the decision's reason: the segment's budget and what set it are said once, above the table
    table["reason"] = rows["reason"].astype(str).to_numpy()
    return table


def _creatives_excerpt(table: pd.DataFrame, rows: pd.DataFrame, metric: str, currency: str, where: str) -> pd.DataFrame | Excerpt:
    """A creatives table cut to its best and worst MAX_TABLE_ROWS by the decision metric when it is long."""
    return excerpt(table, rows["metric_mean"].to_numpy(float), MAX_TABLE_ROWS, what="creatives", where=where,
                   order=_metric_name(metric, currency))


def _plan_rows(plan_groups: dict, key: tuple[str, str], rows: pd.DataFrame) -> pd.DataFrame | None:
    plan_rows = plan_groups.get(key)
    if plan_rows is None:
        return None
    return plan_rows.set_index("creative").loc[rows["creative"]].reset_index()


def _segment_sections(
    decisions: pd.DataFrame, policy: Policy, order: list[tuple[str, str]], intro: dict[tuple[str, str], str], plan: pd.DataFrame | None
) -> list[Section]:
    """One section per segment, in `order`, for the first MAX_SEGMENT_SECTIONS (the first MAX_SEGMENT_FIGURES
    with a figure of their creatives); the other segments' creatives share one table."""
    metric, cur = policy.decide.metric, policy.budget.currency
    groups = dict(list(decisions.groupby(["campaign", "segment"], sort=False)))
    plan_groups = dict(list(plan.groupby(["campaign", "segment"], sort=False))) if plan is not None else {}
    where = "decisions.csv has" if plan is None else "plan.csv and decisions.csv have"
    sections = []
    for k, key in enumerate(order[:MAX_SEGMENT_SECTIONS]):
        rows = groups[key]
        title = f"{key[0]} / {key[1]}"
        figs: tuple[Figure, ...] = ()
        if k < MAX_SEGMENT_FIGURES:
            png = figure_png(figures.creative_intervals(rows, metric=metric, currency=cur, title=title, limit=MAX_TABLE_ROWS))
            figs = (Figure(f"creatives_{k + 1:02d}.png", png, f"{title}: each creative's 90 % credible intervals, coloured by verdict"),)
        table = _creatives_table(rows, metric, cur, _plan_rows(plan_groups, key, rows))
        sections.append(Section(
            title=f"Creatives in {title}",
            paragraphs=(intro[key],) if key in intro else (),
            table=_creatives_excerpt(table, rows, metric, cur, f"{where} them all"),
            figures=figs,
            figures_first=True,
        ))
    rest = order[MAX_SEGMENT_SECTIONS:]
    if rest:
        sections.append(_rest_section(groups, plan_groups, rest, metric, cur, f"{where} them all"))
    return sections


def _rest_section(groups: dict, plan_groups: dict, rest: list[tuple[str, str]], metric: str, cur: str, where: str) -> Section:
    """The creatives of the segments without a section of their own, in one table (its ends shown when long)."""
    tables, rows = [], []
    for key in rest:
        table = _creatives_table(groups[key], metric, cur, _plan_rows(plan_groups, key, groups[key]))
        table.insert(0, "segment", key[1])
        table.insert(0, "campaign", key[0])
        tables.append(table)
        rows.append(groups[key])
    all_rows = pd.concat(rows, ignore_index=True)
    return Section(
        f"Creatives in the other {len(rest):,} segments",
        paragraphs=(f"The {len(rest):,} segments after the first {MAX_SEGMENT_SECTIONS} share this table ({len(all_rows):,} creatives).",),
        table=_creatives_excerpt(pd.concat(tables, ignore_index=True), all_rows, metric, cur, where),
    )


def _figure(name: str, figure, caption: str) -> Figure:
    return Figure(name, figure_png(figure), caption)


def _ends(n: int, top: str, bottom: str) -> str:
    """"; the 15 segments raised most and the 15 cut most, of 691" when a figure draws the ends only."""
    k = MAX_SEGMENT_BARS
    return f"; the {k} {top} and the {k} {bottom}, of {n:,} (plan.csv has them all)" if n > 2 * k + 1 else ""


def _spend_sections(segments: pd.DataFrame, cur: str) -> list[Section]:
    """Spend by campaign and by segment: figures, and the segments' table (its ends when long)."""
    by_campaign = Section(
        "Spend by campaign, yesterday → tomorrow",
        paragraphs=(f"Each campaign's total spend per day, in {cur}: the sum of its segments' budgets (below).",),
        figures=(_figure("spend_by_campaign.png", figures.spend_by_campaign(segments, cur, limit=MAX_SEGMENT_BARS), f"spend by campaign ({cur} per day)"),),
    )
    change = (segments["after"] - segments["before"]).astype(float)
    table = pd.DataFrame({
        "campaign": segments["campaign"].astype(str), "segment": segments["segment"].astype(str),
        f"yesterday ({cur})": segments["before"].astype(float), f"tomorrow ({cur})": segments["after"].astype(float),
        f"change ({cur})": change, "what set it": segments["limited_by"].astype(str),
    })
    by_segment = Section(
        "Spend by segment, yesterday → tomorrow",
        paragraphs=(f"Each segment's budget (what you type into the ad platform), in {cur} per day, and what set it.",),
        table=excerpt(table, change.to_numpy(), MAX_TABLE_ROWS, what="segments", where="plan.csv (one row per creative) has them all", order="spend change"),
        figures=(_figure("spend_by_segment.png", figures.spend_by_segment(segments, cur, limit=MAX_SEGMENT_BARS),
                         f"spend by segment ({cur} per day){_ends(len(segments), 'segments raised most', 'cut most')}"),),
    )
    return [by_campaign, by_segment]


def _limits_section(summary: dict[str, Any], cur: str) -> Section:
    worth_saying = binding_in_words(summary["binding"], cur)  # largest first
    if worth_saying:
        left_out = len(worth_saying) - MAX_BINDING
        more = (
            (f"The {MAX_BINDING} largest are listed; {left_out:,} more, each worth less, are left out "
             "(summary.json's \"binding\" has them all)."),
        ) if left_out > 0 else ()
        return Section(
            "What limits the plan",
            paragraphs=((
                f"The constraints the plan is pressed against, and their shadow prices: what one more {cur} of that limit "
                "would earn (or cost) in expected gross margin. A large one says which limit is worth revisiting."
            ), *more),
            bullets=tuple(worth_saying[:MAX_BINDING]),
        )
    return Section("What limits the plan", paragraphs=(
        f"No constraint binds: every segment stopped where its next {cur} would earn no more margin than it costs.",
    ))


def plan_sections(result: PlanResult, policy: Policy) -> list[Section]:
    """The plan report's sections: at a glance, what to check (the warnings), spend by campaign and segment, limits,
    margin, each segment's creatives."""
    summary, plan, decisions = result.summary, result.plan, result.decisions
    cur = summary["currency"]
    segments = summary_segments(summary)
    before, after = float(segments["before"].sum()), float(summary["total_spend"])
    glance = Section("At a glance", paragraphs=(
        (
            f"Tomorrow ({summary['date']}) the plan spends {money(after, cur)} per day over {len(segments)} segments "
            f"(yesterday: {money(before, cur)}), for an expected gross margin of {money(summary['expected_margin'], cur)}, "
            f"90 % likely between {money(summary['margin_p05'], cur)} and {money(summary['margin_p95'], cur)}."
        ),
        _verdict_counts(decisions["verdict"].astype(str)),
        (
            f"{summary['exploration']:.0%} of the budget explores uncertain segments. Solved by {summary['solver']} "
            f"({summary['status']}) in {summary['seconds']:.2f} s."
        ),
    ))
    # the warnings summary.json and the terminal give, where the person who forwards the report reads them
    warnings = tuple(summary.get("warnings", ()))
    check = [Section("What to check", paragraphs=("The plan is made; these say what it rests on.",), bullets=warnings)] if warnings else []
    margin = Section(
        "Expected gross margin",
        paragraphs=((
            f"Expected gross margin tomorrow: {money(summary['expected_margin'], cur)}, with a 90 % credible interval "
            f"from {money(summary['margin_p05'], cur)} to {money(summary['margin_p95'], cur)} "
            "(revenue × margin rate − spend, under the posterior). Each segment's expected share is below; "
            "each cell's interval is in plan.csv (margin_p05, margin_p95)."
        ),),
        figures=(_figure("expected_margin.png", figures.expected_margin(plan, summary, limit=MAX_SEGMENT_BARS),
                         f"expected gross margin ({cur} per day){_ends(len(segments), 'largest expected margins', 'smallest that are not zero')}"),),
    )
    # segments by tomorrow's budget, largest first: the order of the creatives' sections
    order = [(str(c), str(s)) for c, s in segments.sort_values("after", ascending=False, kind="stable")[["campaign", "segment"]].itertuples(index=False)]
    intro = {
        (str(r.campaign), str(r.segment)): f"Budget {money(r.before, cur)} → {money(r.after, cur)} per day ({r.limited_by})."
        for r in segments.itertuples(index=False)
    }
    creatives_intro = Section("Creatives, segment by segment", paragraphs=(_rules(policy), *filter(None, [noisy_days_in_words(summary.get("daily_rate_spread"))]), _drawn_note(len(order), "largest budgets")))
    return [glance, *check, *pacing_sections(summary), *_spend_sections(segments, cur), _limits_section(summary, cur), margin,
            *risk_sections(result, policy), creatives_intro, *_segment_sections(decisions, policy, order, intro, plan)]


def _drawn_note(n_segments: int, criterion: str) -> str:
    if n_segments <= MAX_SEGMENT_FIGURES:
        return "Segments are listed from the largest budget to the smallest." if criterion == "largest budgets" else (
            "Segments are listed from the most visited to the least."
        )
    note = f"Figures are drawn for the {MAX_SEGMENT_FIGURES} segments with the {criterion}; the other {n_segments - MAX_SEGMENT_FIGURES} have their table only"
    if n_segments > MAX_SEGMENT_SECTIONS:
        note += f", and after the first {MAX_SEGMENT_SECTIONS} the last {n_segments - MAX_SEGMENT_SECTIONS:,} share one table at the end"
    return note + "."


def decisions_sections(decisions: pd.DataFrame, policy: Policy) -> list[Section]:
    """The decisions report's sections: at a glance with the rules, then each segment's creatives."""
    visits = decisions.groupby(["campaign", "segment"], sort=False)["visits"].sum().sort_values(ascending=False, kind="stable")
    order = [(str(c), str(s)) for c, s in visits.index]
    date = str(decisions["date"].iloc[0]) if len(decisions) else "—"
    glance = Section("At a glance", paragraphs=(
        f"Verdicts as of {date}, over {len(order)} segments. " + _verdict_counts(decisions["verdict"].astype(str)),
        _rules(policy),
        _drawn_note(len(order), "most visits"),
    ))
    return [glance, *_segment_sections(decisions, policy, order, {}, None)]


def changes_section(changes: Changes) -> Section:
    """What `plan --changes` lists, as the report shows it: every change, and those a guardrail stopped."""
    table = changes.table
    stopped = int((~table["applies"]).sum()) if len(table) else 0
    if table.empty:
        text = "The plan changes nothing in the account as it runs today: no budget moves and no creative is paused or resumed."
    else:
        text = (
            f"{len(table) - stopped} change{'s' if len(table) - stopped != 1 else ''} to apply against the account as it runs today"
            f"{f', and {stopped} a guardrail stopped (shown with its name)' if stopped else ''}; the bulk files in the changes "
            "folder carry the ones to apply (meta-bulk.csv for Ads Manager, google-ads-editor.csv for Google Ads Editor)."
        )
    moved = (pd.to_numeric(table["after"], errors="coerce") - pd.to_numeric(table["before"], errors="coerce")).abs()
    shown = excerpt(  # a status change ranks first; budgets by the size of their move
        table[CHANGE_COLUMNS], moved.fillna(float("inf")).to_numpy(), MAX_TABLE_ROWS, what="changes",
        where="changes.csv has them all", order="moves",
    )
    return Section("Changes to apply", paragraphs=(text,), table=None if table.empty else shown)


def write_plan_report(
    result: PlanResult, policy: Policy, directory: str | Path, *, title: str | None = None, changes: Changes | None = None, **how: Any
) -> Path:
    """Write the plan report (index.html and its PNG figures) into `directory`; returns index.html's path.

    policy: the policy the plan was made with (for the decision metric's name and the verdict rules);
    changes: what `plan --changes` lists, shown after the glance when given.
    """
    sections = plan_sections(result, policy)
    if changes is not None:
        sections.insert(1, changes_section(changes))
    return write_report(directory, title or f"Budget plan for {result.summary['date']}", sections, **how)


def write_decisions_report(decisions: pd.DataFrame, policy: Policy, directory: str | Path, *, title: str | None = None, **how: Any) -> Path:
    """Write the A/B decisions report (index.html and its PNG figures) into `directory`; returns index.html's path.

    decisions: the decisions table (`budgetopt decide`'s columns), e.g. `budgetopt.decide(...).decisions`.
    """
    date = str(decisions["date"].iloc[0]) if len(decisions) else ""
    return write_report(directory, title or f"A/B decisions for {date}", decisions_sections(decisions, policy), **how)


def summary_segments(summary: dict[str, Any]) -> pd.DataFrame:
    """The summary's per-segment before → after as a DataFrame (campaign, segment, before, after, limited_by)."""
    return pd.DataFrame(summary["segments"], columns=["campaign", "segment", "before", "after", "limited_by"])
