"""`budgetopt whatif LOG --policy P --split SPLIT.csv`: what a proposed split of tomorrow's budget would
earn, beside the optimised plan, and the chance that it earns more.

SPLIT.csv (CSV, one row per segment or per creative):
- per segment: columns `campaign, segment, spend` — the segment's budget for tomorrow; its creatives
  share it as the plan's decision engine says (the plan's `share` column: disabled and paused
  creatives get nothing);
- per creative: columns `campaign, segment, creative, spend` — each cell's own spend (a creative the
  plan keeps off may be given spend: it is a what-if).
Other columns are ignored, so an edited `plan.csv` is a valid per-creative split. Segments and cells
the file does not name spend 0. Each row must name a segment (or cell) of the log, once, with a
finite spend ≥ 0; every violation is reported with the file, row, line and column.

The numbers: `make_plan` on the log gives the plan and the posteriors behind it (its `estimates`);
then DRAWS joint posterior draws v (draws, cells) of revenue-margin per unsaturated euro. For a
spend vector x (cells,) whose segments total T, each draw's gross margin is

    Σ_c x_c · (v_c · f_s(c)(T_s) − 1),   f = saturation_factor at the segment's total,

the formula of the plan's own expected margin. The proposal and the plan are evaluated on the same
draws (paired), so the chance that the proposal beats the plan is the share of draws in which it
earns strictly more: a tie is not a win, and the plan's own split (identical margins in every
draw) beats it with chance exactly 0. The plan's figures here come from whatif's draws; they agree
with `budgetopt plan`'s summary up to Monte Carlo error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import pandas as pd

from budgetopt.allocate.explain import money
from budgetopt.data.load import missing_columns, name_column, number_column, read_csv_text, where_rows
from budgetopt.errors import InputError

if TYPE_CHECKING:
    from budgetopt.config import Policy
    from budgetopt.plan import PlanResult

SEGMENT_COLUMNS = ("campaign", "segment", "spend")
CELL_COLUMNS = ("campaign", "segment", "creative", "spend")
#: posterior draws of each margin (the decision engine's number: MC error of a share ≤ 0.011)
DRAWS = 2000
#: above this many segments the terminal shows those whose spend changes most (the JSON has them all)
MAX_SEGMENT_ROWS = 40
#: a limit counts as broken only by more than this (currency per day): a split typed in whole units
#: does not break a cap of 443.62 by rounding it to 444
LIMIT_SLACK = 1.0
_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Split:
    """A proposed split, resolved onto the plan's cells."""

    spend: np.ndarray  # (cells,) currency per day, in the order of the plan's rows
    per: str  # "segment" or "creative": how the file gave it
    source: str
    unlisted: tuple[str, ...]  # 'campaign/segment' of segments with an active creative the file does not name


@dataclass(frozen=True)
class Distribution:
    """The posterior predictive distribution of one day's gross margin, currency."""

    total_spend: float
    expected_margin: float
    margin_p05: float
    margin_p95: float

    @classmethod
    def of(cls, spend: float, draws: np.ndarray) -> Distribution:
        p05, p95 = np.quantile(draws, [0.05, 0.95])
        return cls(float(spend), float(draws.mean()), float(p05), float(p95))

    def as_dict(self) -> dict[str, float]:
        return {"total_spend": self.total_spend, "expected_margin": self.expected_margin, "margin_p05": self.margin_p05, "margin_p95": self.margin_p95}


@dataclass(frozen=True)
class WhatIf:
    """A proposal against the plan, on the same posterior draws."""

    date: str
    currency: str
    draws: int
    split: Split
    proposal: Distribution
    plan: Distribution
    difference: Distribution  # of (proposal − plan), draw by draw; total_spend is the difference in spend
    chance_beats: float  # share of draws in which the proposal earns strictly more than the plan
    segments: pd.DataFrame  # campaign, segment, proposal_spend, plan_spend, proposal_margin, plan_margin
    notes: tuple[str, ...]  # the policy limits the proposal breaks, and what it leaves out
    result: PlanResult

    def as_dict(self) -> dict[str, Any]:
        """What --out writes."""
        return {
            "date": self.date,
            "currency": self.currency,
            "draws": self.draws,
            "split": self.split.source,
            "split_per": self.split.per,
            "proposal": self.proposal.as_dict(),
            "plan": self.plan.as_dict(),
            "difference": self.difference.as_dict(),
            "chance_proposal_beats_plan": self.chance_beats,
            "segments": [
                {k: (v if isinstance(v, str) else float(v)) for k, v in row.items()} for row in self.segments.to_dict(orient="records")
            ],
            "notes": list(self.notes),
        }


# --- reading the split ----------------------------------------------------------------------------


def read_split_file(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The raw split (every cell as text) and each row's file line (header = line 1); blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "file not found"
        raise InputError(f"{what}; give the path of a split CSV (campaign, segment[, creative], spend)", source=str(path))
    try:
        raw = read_csv_text(path)
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty; give a header campaign, segment[, creative], spend and one row per segment or creative", source=str(path)) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot be read as CSV ({first_line})", source=str(path)) from None
    lines = raw.index.to_numpy()
    return raw.reset_index(drop=True), lines


def resolve_split(raw: pd.DataFrame, plan: pd.DataFrame, *, source: str = "split", lines: np.ndarray | None = None) -> Split:
    """Check a raw split against the plan's cells and spread it over them.

    raw: the file's rows as text (or any DataFrame with the columns); plan: `PlanResult.plan`.
    Raises InputError listing every problem with its rows and column.
    """
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    per = "creative" if "creative" in raw.columns else "segment"
    needed = CELL_COLUMNS if per == "creative" else SEGMENT_COLUMNS
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(
            f"{missing_columns(missing)}; a split needs "
            f"{', '.join(SEGMENT_COLUMNS)} (one row per segment) or {', '.join(CELL_COLUMNS)} (one row per creative)",
            source=source,
        )
    if raw.empty:
        raise InputError("the split has no rows; give one row per segment (or creative) with its spend", source=source)
    key_columns = list(needed[:-1])
    problems: list[str] = []
    names = {}
    for column in key_columns:
        names[column] = name_column(raw, column, lines, problems).to_numpy()
    spend = number_column(raw, "spend", lines, problems, hint="; spend is currency per day").to_numpy()
    negative = np.flatnonzero(spend < 0)
    if len(negative):
        problems.append(f"{where_rows(negative, lines)}, column 'spend': negative ({spend[negative[0]]:g}); spend is currency per day, ≥ 0")
    if problems:
        raise InputError(problems, source=source)

    keys = list(zip(*(names[c] for c in key_columns)))
    problems += _duplicates(keys, per, lines)
    cells = list(zip(plan["campaign"], plan["segment"], plan["creative"]))
    campaigns = set(plan["campaign"])
    segments = set(zip(plan["campaign"], plan["segment"]))
    known = set(cells) if per == "creative" else segments
    for i, key in enumerate(keys):
        if key in known:
            continue
        where = where_rows(np.array([i]), lines)
        if key[0] not in campaigns:
            problems.append(f"{where}, column 'campaign': no campaign {key[0]!r} in the log; check the name against the log")
        elif key[:2] not in segments:
            problems.append(f"{where}, column 'segment': no segment {key[1]!r} in campaign {key[0]!r} in the log; check the name")
        else:
            problems.append(f"{where}, column 'creative': no creative {key[2]!r} in {key[0]}/{key[1]} in the log; check the name")
    if problems:
        raise InputError(problems, source=source)

    share = plan["share"].to_numpy(float)
    segment_of_cell = list(zip(plan["campaign"], plan["segment"]))
    out = np.zeros(len(plan))
    if per == "creative":
        index = {cell: i for i, cell in enumerate(cells)}
        for key, amount in zip(keys, spend):
            out[index[key]] = amount
        named = {key[:2] for key in keys}
    else:
        budget = dict(zip(keys, spend))
        shared: dict[tuple[str, str], float] = {}  # each segment's total share: 0 when no creative is active
        for key, part in zip(segment_of_cell, share):
            shared[key] = shared.get(key, 0.0) + part
        for i, key in enumerate(keys):
            if spend[i] > 0 and shared.get(key, 0.0) <= 0:
                problems.append(
                    f"{where_rows(np.array([i]), lines)}, column 'spend': segment {key[0]}/{key[1]} has no active creative tomorrow "
                    "(each is disabled by the decision engine or paused), so no creative would get its spend; give it 0, "
                    "or give the spend per creative"
                )
        if problems:
            raise InputError(problems, source=source)
        out = share * np.array([budget.get(key, 0.0) for key in segment_of_cell])
        named = set(keys)
    active = plan["status"].to_numpy() == "active"
    live = dict.fromkeys(key for key, on in zip(segment_of_cell, active) if on)
    unlisted = tuple(f"{c}/{s}" for c, s in live if (c, s) not in named)
    return Split(out, per, source, unlisted)


def _duplicates(keys: list[tuple[str, ...]], per: str, lines: np.ndarray | None) -> list[str]:
    frame = pd.DataFrame(keys)
    repeated = np.flatnonzero(frame.duplicated(keep=False).to_numpy())
    if not len(repeated):
        return []
    first = "/".join(keys[repeated[0]])
    return [f"{where_rows(repeated, lines)}: the same {per} appears more than once (first: {first}); give each {per} once"]


# --- the distributions ----------------------------------------------------------------------------


def margin_draws(result: PlanResult, value_draws: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """(draws,) gross margin of `spend` (cells,) under each posterior draw of value per euro (draws, cells),
    each segment saturating at its own total."""
    from budgetopt.allocate.response import saturation_factor

    h = result.estimates.history
    factor = saturation_factor(h.segment_sum(spend), result.estimates.saturation_spend)[h.segment_index]
    return value_draws @ (spend * factor) - spend.sum()


def segment_margins(result: PlanResult, value_mean: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """(segments,) expected gross margin of `spend` (cells,) per segment, at the posterior mean value per euro."""
    from budgetopt.allocate.response import saturation_factor

    h = result.estimates.history
    factor = saturation_factor(h.segment_sum(spend), result.estimates.saturation_spend)[h.segment_index]
    return h.segment_sum(spend * (value_mean * factor - 1.0))


def compare(result: PlanResult, policy: Policy, split: Split, rng: np.random.Generator, draws: int = DRAWS) -> WhatIf:
    """The proposal and the plan on the same `draws` posterior draws of the plan's estimates."""
    h = result.estimates.history
    plan = result.plan
    if not (np.array_equal(plan["creative"].to_numpy(), h.creative) and np.array_equal(plan["segment"].to_numpy(), h.segment)):
        raise ValueError("the plan's rows are not in the order of its estimates")
    value = result.estimates.value_per_euro_draws(rng, draws).astype(np.float64)
    plan_spend = plan["spend"].to_numpy(float)
    proposed = margin_draws(result, value, split.spend)
    planned = margin_draws(result, value, plan_spend)
    value_mean = value.mean(0)
    starts = h.segment_start
    segments = pd.DataFrame({
        "campaign": h.campaign[starts],
        "segment": h.segment[starts],
        "proposal_spend": h.segment_sum(split.spend),
        "plan_spend": h.segment_sum(plan_spend),
        "proposal_margin": segment_margins(result, value_mean, split.spend),
        "plan_margin": segment_margins(result, value_mean, plan_spend),
    })
    return WhatIf(
        date=result.summary["date"],
        currency=policy.budget.currency,
        draws=draws,
        split=split,
        proposal=Distribution.of(split.spend.sum(), proposed),
        plan=Distribution.of(plan_spend.sum(), planned),
        difference=Distribution.of(split.spend.sum() - plan_spend.sum(), proposed - planned),
        chance_beats=float(np.mean(proposed > planned)),
        segments=segments,
        notes=tuple(_notes(result, policy, split)),
        result=result,
    )



def _whole(value: float, sign: str = "") -> str:
    """Rounded to the unit, never '-0'; sign '+' shows it on positives too."""
    return f"{round(value):{sign},}"


def _notes(result: PlanResult, policy: Policy, split: Split) -> list[str]:
    """The policy's limits the proposal breaks (the plan keeps them all), and what it leaves out."""
    h = result.estimates.history
    problem = result.problem
    cur = policy.budget.currency
    slack = LIMIT_SLACK
    total = float(split.spend.sum())
    notes = []
    if total > problem.total_max + slack:
        notes.append(f"breaks [budget] daily_total {money(problem.total_max, cur)}: the proposal spends {money(total, cur)}")
    if total < problem.total_min - slack:
        notes.append(f"breaks [budget] min_total {money(problem.total_min, cur)}: the proposal spends {money(total, cur)}")
    budgets = h.segment_sum(split.spend)
    for s in np.flatnonzero(budgets > problem.upper + slack):
        if problem.upper[s] == 0 and problem.upper_label[s] == "no active creative":
            continue  # said below, per creative
        notes.append(f"segment {problem.segment_labels[s]}: {money(budgets[s], cur)} is above {problem.upper_label[s]} (cap {money(problem.upper[s], cur)})")
    for s in np.flatnonzero(budgets < problem.lower - slack):
        notes.append(f"segment {problem.segment_labels[s]}: {money(budgets[s], cur)} is below {problem.lower_label[s]} (floor {money(problem.lower[s], cur)})")
    for b, bound in enumerate(policy.bounds):
        spent = float(split.spend[bound.matches(h.campaign, h.segment, h.creative)].sum())
        if spent > bound.max + slack or spent < bound.min - slack:
            side, limit = ("max", bound.max) if spent > bound.max + slack else ("min", bound.min)
            notes.append(f"breaks {problem.bound_labels[b]} {side} {money(limit, cur)}: the matched cells get {money(spent, cur)}")
    status = result.plan["status"].to_numpy()
    off = np.flatnonzero((split.spend > 0) & (status != "active"))
    if len(off):
        cells = ", ".join(f"{h.campaign[i]}/{h.segment[i]}/{h.creative[i]} ({status[i]})" for i in off[:_MAX_ROWS_SHOWN])
        more = f" and {len(off) - _MAX_ROWS_SHOWN} more" if len(off) > _MAX_ROWS_SHOWN else ""
        notes.append(f"spends on creatives the plan keeps off: {cells}{more}")
    if split.unlisted:
        shown = ", ".join(split.unlisted[:_MAX_ROWS_SHOWN])
        more = f" and {len(split.unlisted) - _MAX_ROWS_SHOWN} more" if len(split.unlisted) > _MAX_ROWS_SHOWN else ""
        notes.append(f"{len(split.unlisted)} segment{'s' if len(split.unlisted) > 1 else ''} with an active creative "
                     f"{'are' if len(split.unlisted) > 1 else 'is'} not in the split and spend 0 in the proposal: {shown}{more}")
    return notes


def what_if(
    log: pd.DataFrame,
    policy: Policy,
    split: str | Path | pd.DataFrame,
    *,
    rng: np.random.Generator,
    date: pd.Timestamp | str | None = None,
    draws: int = DRAWS,
) -> WhatIf:
    """Plan tomorrow from `log` and compare a proposed split with the plan (a path to SPLIT.csv, or a DataFrame)."""
    from budgetopt.plan import make_plan

    if isinstance(split, pd.DataFrame):
        raw, lines, source = split, None, "split"
    else:
        raw, lines = read_split_file(split)
        source = str(split)
    result = make_plan(log, policy, date=date, rng=rng)
    return compare(result, policy, resolve_split(raw, result.plan, source=source, lines=lines), rng, draws)


# --- the command ----------------------------------------------------------------------------------


def print_what_if(console, w: WhatIf) -> None:
    """The two distributions, their difference and the chance, then the segments and the notes."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    cur = w.currency
    table = Table(
        title=f"what-if for {w.date}: gross margin in {cur} per day ({w.draws:,} paired posterior draws)",
        box=box.SIMPLE_HEAD, header_style="bold",
    )
    for header in ("", "spend", "expected margin", "90 % interval"):
        table.add_column(header, justify="left" if not header else "right", no_wrap=True)
    rows = ((Text(f"proposal ({Path(w.split.source).name})"), w.proposal, ""), (Text("plan"), w.plan, ""), (Text("proposal − plan"), w.difference, "+"))
    for label, d, sign in rows:
        table.add_row(label, _whole(d.total_spend, sign), _whole(d.expected_margin, sign), f"{_whole(d.margin_p05, sign)} to {_whole(d.margin_p95, sign)}")
    console.print(table)
    console.print(f"chance the proposal earns more than the plan: {100 * w.chance_beats:.1f} % (share of draws; a tie is not a win)")
    if np.allclose(w.split.spend, w.result.plan["spend"].to_numpy(float), rtol=0, atol=0.01):
        console.print("the proposal is the plan's own split (to within a cent per creative)")

    seg = w.segments.assign(change=lambda f: (f["proposal_spend"] - f["plan_spend"]).abs())
    shown = seg if len(seg) <= MAX_SEGMENT_ROWS else seg.nlargest(MAX_SEGMENT_ROWS, "change", keep="first")
    detail = Table(title=f"by segment ({cur} per day; margins at the posterior mean)", box=box.SIMPLE_HEAD, header_style="bold")
    detail.add_column("campaign / segment", overflow="fold")
    for header in ("spend", "plan spend", "margin", "plan margin"):
        detail.add_column(header, justify="right", no_wrap=True)
    for row in shown.itertuples(index=False):
        detail.add_row(
            Text(f"{row.campaign} / {row.segment}"), _whole(row.proposal_spend), _whole(row.plan_spend),
            _whole(row.proposal_margin), _whole(row.plan_margin),
        )
    console.print(detail)
    if len(shown) < len(seg):
        console.print(f"… and {len(seg) - len(shown)} more segments whose spend changes less (all of them in --out)")
    for note in w.notes:
        console.print(Text(f"note: {note}"))


@click.command("whatif")
@click.argument("log_path", metavar="LOG", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--policy", "policy_path", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Budget policy TOML file.")
@click.option("--split", "split_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Proposed spend: CSV with campaign, segment, spend (per segment) or campaign, segment, creative, spend (per creative).")
@click.option("--date", default=None, help="Plan date yyyy-mm-dd (default: the day after the log's last); only earlier days are used.")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the plan's and the comparison's posterior draws.")
@click.option("--sum-duplicates", is_flag=True, help="Add up log rows of the same date and cell instead of rejecting them.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Also write the numbers as JSON here.")
def whatif_command(log_path: Path, policy_path: Path, split_path: Path, date: str | None, seed: int, sum_duplicates: bool, out_path: Path | None) -> None:
    """What a proposed split of tomorrow's budget would earn, beside the optimised plan, and the chance it earns more."""
    from rich.console import Console

    from budgetopt.config import load_policy
    from budgetopt.data import load_log
    from budgetopt.report.files import write_json

    if seed < 0:
        raise InputError(f"--seed must be ≥ 0, got {seed}")
    if date is not None:
        try:
            date = pd.Timestamp(pd.to_datetime(date, format="%Y-%m-%d"))
        except ValueError:
            raise InputError(f"--date {date!r} is not an ISO date yyyy-mm-dd") from None
    policy = load_policy(policy_path)
    log = load_log(log_path, exposure=policy.estimate.exposure, sum_duplicates=sum_duplicates)
    w = what_if(log, policy, split_path, rng=np.random.default_rng(seed), date=date)
    if out_path is not None:
        write_json(out_path, w.as_dict())
    console = Console()
    if not console.is_terminal:  # a file or pipe gets whole rows, not rich's 80-column default
        console = Console(width=max(console.width, 100))
    print_what_if(console, w)
