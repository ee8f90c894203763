"""What a run says about each policy (DESIGN.md: metrics.csv, daily.csv).

Margins are the *true expected* gross margin of what each policy spent (visits × rate × basket ×
margin_rate − spend under the day's truth), summed over the policy days: the luck of a day's
draws is left out, what remains is the quality of the decisions. Realised margins are in daily.csv.

- margin_mean, margin_p05, margin_p95: over replications, currency over the run;
- share_of_oracle: margin_mean / the oracle's margin_mean;
- regret: mean over replications of (oracle's margin − the policy's), same replication;
- wasted_spend: mean over replications of the spend on creatives that were not their segment's
  true best that day;
- days_to_disable: over replications and truly losing creatives (live, and never their segment's
  true best on any policy day), the mean days from when the policy could first act on one (the
  first policy day, or the day after its launch) until it switched it off; one never switched off
  counts the whole time it was there. Empty for policies that never switch creatives off;
- winners_killed: share of replications in which the policy switched off a creative on a day it
  was its segment's strictly best (no other live creative as good);
- days_to_follow: how fast a policy follows a change of a segment's true best creative. An event is
  a segment on a policy day when a creative becomes its best that was not the day before (fatigue,
  a shock, a launch of a better creative; on the first policy day only a launch that day counts,
  the day before being the warm-up's); the new best are those creatives. Its value is the days from
  the event until the first day the new best get at least half of the segment's spend (0: that very
  day; never: the days left in the run). The median over every event of every replication (each
  policy's own, as fatigue follows its own spending); empty when its runs have no such event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.simulate.policies import POLICIES
from budgetopt.simulate.runner import SimulationResult, Trajectory

METRIC_COLUMNS = [
    "policy", "margin_mean", "margin_p05", "margin_p95", "share_of_oracle", "regret", "wasted_spend", "days_to_disable", "winners_killed",
    "days_to_follow",
]
DAILY_COLUMNS = [
    "policy", "day", "date", "spend_mean", "margin_mean", "margin_p05", "margin_p95", "realised_margin_mean",
    "cumulative_margin_mean", "cumulative_margin_p05", "cumulative_margin_p95",
    "cumulative_regret_mean", "cumulative_regret_p05", "cumulative_regret_p95",
    "wasted_spend_mean", "visits_mean", "conversions_mean", "revenue_mean",
]
ALLOCATION_COLUMNS = ["policy", "day", "date", "campaign", "segment", "spend_mean", "share_mean"]
ORACLE = "oracle"


def run_margin(run: Trajectory) -> np.ndarray:
    """(reps,) true expected gross margin over the policy days."""
    return run.expected_margin.sum(axis=(-2, -1))


def wasted_spend(run: Trajectory) -> np.ndarray:
    """(reps,) spend on creatives that were not their segment's true best that day."""
    return np.where(run.best, 0.0, run.spend).sum(axis=(-2, -1))


def winners_killed(run: Trajectory, first_day: int) -> np.ndarray:
    """(reps,) bool: a creative was switched off on a day it was its segment's strictly best."""
    days = run.spend.shape[1]
    off = run.disabled_day >= first_day
    index = np.clip(run.disabled_day - first_day, 0, days - 1)
    strictly_then = np.take_along_axis(run.strictly_best, index[:, None, :], axis=1)[:, 0, :]
    return (off & strictly_then).any(axis=1)


def days_to_disable(run: Trajectory, first_day: int, launch_day: np.ndarray) -> float:
    """Mean days until a truly losing creative was switched off (censored at the run's end); nan if there is none."""
    days = run.spend.shape[1]
    losing = run.live.any(axis=1) & ~(run.best & run.live).any(axis=1)  # (reps, cells)
    actionable = np.maximum(first_day, launch_day + 1)[None, :]  # the first day a policy can fund it
    end = first_day + days
    losing &= actionable < end
    switched = np.where(run.disabled_day >= 0, run.disabled_day, end)
    elapsed = np.maximum(switched - actionable, 0)
    return float(elapsed[losing].mean()) if losing.any() else float("nan")


def follow_events(run: Trajectory, first_day: int, launch_day: np.ndarray, segment_index: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """Every (replication, day, new best cells) at which a segment's true best changed (days index the
    policy days; see days_to_follow in the module's docstring)."""
    new = run.best.copy()  # (reps, days, cells)
    new[:, 1:] &= ~run.best[:, :-1]
    new[:, 0] &= (launch_day == first_day)[None, :]
    events = []
    for s in np.unique(segment_index):
        members = np.flatnonzero(segment_index == s)
        for r, t in zip(*np.nonzero(new[:, :, members].any(-1))):
            events.append((int(r), int(t), members[new[r, t, members]]))
    return events


def follow_days(run: Trajectory, first_day: int, launch_day: np.ndarray, segment_index: np.ndarray) -> list[tuple[int, int]]:
    """(segment, days) for every change of a segment's true best: the days until the new best got at least half
    of the segment's spend (censored at the run's end)."""
    days = run.spend.shape[1]
    out = []
    for r, t, cells in follow_events(run, first_day, launch_day, segment_index):
        spend = run.spend[r, t:]  # (days left, cells)
        on_new = spend[:, cells].sum(-1)
        segment = int(segment_index[cells[0]])
        followed = (on_new > 0) & (on_new >= 0.5 * spend[:, segment_index == segment].sum(-1))
        out.append((segment, int(np.argmax(followed)) if followed.any() else days - t))
    return out


def days_to_follow(run: Trajectory, first_day: int, launch_day: np.ndarray, segment_index: np.ndarray) -> float:
    """Median days until a segment's new true best got at least half of its spend (`follow_days`); nan if none changed."""
    elapsed = [days for _, days in follow_days(run, first_day, launch_day, segment_index)]
    return float(np.median(elapsed)) if elapsed else float("nan")


def policy_metrics(result: SimulationResult) -> pd.DataFrame:
    """metrics.csv: one row per policy, in the order run."""
    oracle = run_margin(result.runs[ORACLE]) if ORACLE in result.runs else None
    rows = []
    for name in result.policies:
        run = result.runs[name]
        margin = run_margin(run)
        rows.append({
            "policy": name,
            "margin_mean": margin.mean(),
            "margin_p05": np.quantile(margin, 0.05),
            "margin_p95": np.quantile(margin, 0.95),
            "share_of_oracle": margin.mean() / oracle.mean() if oracle is not None and oracle.mean() > 0 else np.nan,
            "regret": (oracle - margin).mean() if oracle is not None else np.nan,
            "wasted_spend": wasted_spend(run).mean(),
            "days_to_disable": days_to_disable(run, result.first_day, result.launch_day) if POLICIES[name].disables else np.nan,
            "winners_killed": winners_killed(run, result.first_day).mean(),
            "days_to_follow": days_to_follow(run, result.first_day, result.launch_day, result.segment_index),
        })
    return _period_metrics(result, pd.DataFrame(rows, columns=METRIC_COLUMNS))


def _period_metrics(result: SimulationResult, table: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv's extra columns when the scenario's policy has a period (`period_spend_vs_budget`: spend over
    the run's days in the period ÷ their share of period_total − 1, mean over replications) or a min_roas
    (`days_below_min_roas`: share of days whose realised revenue ÷ spend fell below it)."""
    dates = pd.Timestamp(result.start_date) + pd.to_timedelta(np.arange(result.first_day, result.first_day + result.days), unit="D")
    if result.period is not None:
        start, end, total = pd.Timestamp(result.period[0]), pd.Timestamp(result.period[1]), result.period[2]
        inside = (dates >= start) & (dates <= end)
        budget = total * inside.sum() / ((end - start).days + 1)
        table["period_spend_vs_budget"] = [(result.runs[n].spend[:, inside].sum(axis=(1, 2)) / budget - 1).mean() for n in result.policies]
    if result.min_roas is not None:
        roas = {n: result.runs[n].revenue.sum(-1) / np.maximum(result.runs[n].spend.sum(-1), 1e-9) for n in result.policies}
        table["days_below_min_roas"] = [(roas[n] < result.min_roas).mean() for n in result.policies]
    return table


def _dates(result: SimulationResult) -> tuple[np.ndarray, list[str]]:
    days = np.arange(result.first_day, result.first_day + result.days)
    start = pd.Timestamp(result.start_date)
    return days, [(start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in days]


def daily_table(result: SimulationResult) -> pd.DataFrame:
    """daily.csv: one row per policy and policy day, means and 90 % bands over the replications."""
    days, dates = _dates(result)
    oracle = result.runs[ORACLE].expected_margin.sum(-1) if ORACLE in result.runs else None
    frames = []
    for name in result.policies:
        run = result.runs[name]
        margin = run.expected_margin.sum(-1)  # (reps, days)
        cumulative = margin.cumsum(-1)
        regret = (oracle - margin).cumsum(-1) if oracle is not None else np.full_like(margin, np.nan)
        realised = (run.revenue * result.margin_rate - run.spend).sum(-1)
        frames.append(pd.DataFrame({
            "policy": name,
            "day": days,
            "date": dates,
            "spend_mean": run.spend.sum(-1).mean(0),
            "margin_mean": margin.mean(0),
            "margin_p05": np.quantile(margin, 0.05, axis=0),
            "margin_p95": np.quantile(margin, 0.95, axis=0),
            "realised_margin_mean": realised.mean(0),
            "cumulative_margin_mean": cumulative.mean(0),
            "cumulative_margin_p05": np.quantile(cumulative, 0.05, axis=0),
            "cumulative_margin_p95": np.quantile(cumulative, 0.95, axis=0),
            "cumulative_regret_mean": regret.mean(0),
            "cumulative_regret_p05": np.quantile(regret, 0.05, axis=0),
            "cumulative_regret_p95": np.quantile(regret, 0.95, axis=0),
            "wasted_spend_mean": np.where(run.best, 0.0, run.spend).sum(-1).mean(0),
            "visits_mean": run.visits.sum(-1).mean(0),
            "conversions_mean": run.conversions.sum(-1).mean(0),
            "revenue_mean": run.revenue.sum(-1).mean(0),
        }))
    return pd.concat(frames, ignore_index=True)[DAILY_COLUMNS]


def allocation_table(result: SimulationResult) -> pd.DataFrame:
    """allocation.csv: each segment's spend and share of the day's total, per policy and day (means over replications)."""
    days, dates = _dates(result)
    n_segments = len(result.segment_labels)
    first = np.unique(result.segment_index, return_index=True)[1]
    campaign, segment = result.campaign[first], result.segment[first]
    frames = []
    for name in result.policies:
        spend = result.runs[name].spend  # (reps, days, cells)
        by_segment = np.zeros(spend.shape[:2] + (n_segments,))
        np.add.at(by_segment.transpose(2, 0, 1), result.segment_index, spend.transpose(2, 0, 1))
        total = by_segment.sum(-1, keepdims=True)
        share = np.divide(by_segment, total, out=np.zeros_like(by_segment), where=total > 0)
        frames.append(pd.DataFrame({
            "policy": name,
            "day": np.repeat(days, n_segments),
            "date": np.repeat(dates, n_segments),
            "campaign": np.tile(campaign, len(days)),
            "segment": np.tile(segment, len(days)),
            "spend_mean": by_segment.mean(0).ravel(),
            "share_mean": share.mean(0).ravel(),
        }))
    return pd.concat(frames, ignore_index=True)[ALLOCATION_COLUMNS]
