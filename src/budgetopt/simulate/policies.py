"""The policies the simulator compares (DESIGN.md): this project's plan, the baselines people run
today, and the oracle. Each sees only the simulated log so far (the oracle also sees the day's
truth) and returns tomorrow's spend per cell; all work under the scenario's budget policy.

- `budgetopt`: `budgetopt plan`'s estimate → decide → allocate on the log so far (`fit_history` and
  `plan_budgets`, which `plan_day` calls; the history read from the log's arrays, tables left
  unwritten, HiGHS re-solving warm); creatives it disables stay disabled, as the ledger keeps them.
- `even`: the daily total split equally across segments, and equally across each segment's creatives.
- `proportional`: budgets ∝ exponentially weighted return on ad spend (recent days count most,
  half-life 7 days), for segments and, within them, creatives; each shrunk towards its group's
  return by one even day's worth of pseudo-spend so a creative with a bad first day is not starved.
- `rules`: automated rules as ad managers run them: pause a creative whose cost per acquisition
  over the last 3 days is above 2 × target with at least 10 conversions, or that spent 200 without
  a conversion after 5 days (never a segment's last creative); raise a segment's budget 20 % when
  its last-3-day return on ad spend beats target, cut it 20 % when it misses. Targets from the
  scenario's [rules] table, else the account's averages over the warm-up. Creatives rotate evenly.
- `ab_then_commit`: each segment's creatives share traffic evenly for 14 days from the start
  (warm-up included), then the one with the best return on ad spend takes it all and the others are
  switched off; a creative launched later is tested the same way against the champion.
  Segment budgets stay even.
- `thompson`: Thompson sampling on Beta(1 + conversions, 1 + visits − conversions) posteriors of
  the conversion rate within each segment, as a bandit library runs it with a day as the decision:
  each day one joint posterior draw per creative, and the segment's traffic goes to the creative
  whose draw is highest (`matching_shares`, arrays over cells and, for replications side by side,
  over replications). Over days, each creative gets the segment with its chance to be best:
  probability matching. Segment budgets stay even.
- `greedy`: the strongest simple baseline, estimate → argmax → LP with nothing else: the project's
  pooled Beta conversion rates (shrunk to the segment's), visits per euro, basket and each segment's
  saturation fitted as `budgetopt` fits them but with days weighted by a 7-day half-life; each
  segment's creative with the highest posterior mean value per euro takes all of its traffic (no
  probability matching, no min_share, nothing disabled, so it can switch back any day), and the
  allocation LP sizes the segments under the scenario's policy on those means (no exploration).
- `oracle`: knows every true rate (today's, with fatigue, shocks and seasonality), puts each
  segment's traffic on its truly best creative and solves the same allocation LP on the true curves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from budgetopt.allocate import (
    AllocationProblem,
    SegmentCurves,
    WarmStart,
    bound_coefficients,
    diagnose,
    policy_problem,
    solve,
)
from budgetopt.decide.verdicts import DISABLE, Off, retested
from budgetopt.errors import InputError, SolverError
from budgetopt.estimate import History
from budgetopt.estimate.history import history_from_rows
from budgetopt.plan import Solvers, fit_history, plan_budgets
from budgetopt.simulate.limits import Account, feasible_budgets
from budgetopt.simulate.log import LogView
from budgetopt.simulate.matching import conversion_draws, matching_shares
from budgetopt.simulate.pacing import log_period
from budgetopt.simulate.world import DayTruth

#: `proportional`: a day this many days older counts half
PROPORTIONAL_HALF_LIFE_DAYS = 7.0
#: `rules` (issue 6): the automated rules an ad manager's tool runs each day
RULES_CPA_FACTOR = 2.0
RULES_CPA_DAYS = 3
RULES_CPA_MIN_CONVERSIONS = 10
RULES_NO_CONVERSION_SPEND = 200.0
RULES_NO_CONVERSION_DAYS = 5
RULES_ROAS_DAYS = 3
RULES_BUDGET_STEP = 0.20
#: `ab_then_commit`: days of even split before committing
AB_TEST_DAYS = 14
#: `thompson`: posterior draws per creative and day (1: Thompson sampling, a day's traffic to the
#: sampled best; more draws give each creative the share of draws it wins, the same expectation with
#: less day-to-day noise, at that many times the variates: 1,000 made a 1,000-cell run 100× slower)
THOMPSON_DRAWS = 1
#: `greedy`: a day this many days older counts half in its estimates
GREEDY_HALF_LIFE_DAYS = 7.0


@dataclass(frozen=True)
class Step:
    """A policy's decision for one day."""

    spend: np.ndarray  # (cells,) currency
    disabled: np.ndarray  # (cells,) bool: switched off for good by the policy (so far)


@dataclass(frozen=True)
class Briefing:
    """What the baselines are told besides the account: the log's first date and the rules' targets."""

    start_date: dt.date
    target_cpa: float | None = None
    target_roas: float | None = None


class SimulationPolicy:
    """One policy's state through one replication; `plan` is called once per day, in order."""

    name: ClassVar[str]
    knows_truth: ClassVar[bool] = False
    disables: ClassVar[bool] = False  # whether it ever switches a creative off for good

    def __init__(self, account: Account, briefing: Briefing, rng: np.random.Generator) -> None:
        self.account = account
        self.briefing = briefing
        self.rng = rng
        self.disabled = np.zeros(account.n_cells, dtype=bool)
        self.by_name = np.lexsort((account.creative, account.segment, account.campaign))  # the plan's cell order

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        raise NotImplementedError

    # helpers shared by the baselines --------------------------------------------------------------

    def previous_budgets(self, log: LogView) -> np.ndarray:
        """(segments,) yesterday's segment spend."""
        return self.account.segment_sum(log.spend[-1])

    def even_shares(self, active: np.ndarray) -> np.ndarray:
        """(cells,) equal shares among each segment's active cells."""
        count = self.account.segment_sum(active.astype(float))[self.account.segment_index]
        return np.where(active, 1.0 / np.maximum(count, 1.0), 0.0)

    def even_budgets(self, shares: np.ndarray) -> np.ndarray:
        """(segments,) the daily total split equally across segments with an active cell."""
        live = self.account.segment_sum(shares) > 0
        return np.where(live, self.account.policy.budget.daily_total / max(live.sum(), 1), 0.0)

    def spend(self, desired: np.ndarray, shares: np.ndarray, log: LogView) -> Step:
        """Step with the desired budgets made feasible under the policy, split by `shares`."""
        budgets = feasible_budgets(desired, shares, self.previous_budgets(log), self.account)
        return Step(shares * budgets[self.account.segment_index], self.disabled.copy())

    def history(
        self, log: LogView, half_life_days: float | None, wear_out: bool = False, fresh: np.ndarray | None = None,
        previous: History | None = None, weekday: bool = False, shifts: bool = False, dispersion: bool = False,
    ) -> tuple[np.ndarray, History]:
        """(cells, history): the cells seen so far in the plan's order (by name) and their History as
        `budgetopt plan` builds it from the log, read from the log's arrays. fresh: (cells,) cells judged
        afresh from today (their rows set aside as evidence, as after `enable`); previous: an earlier day's History."""
        a = self.account
        cells = self.by_name[log.known[self.by_name]]
        as_of = pd.Timestamp(self.briefing.start_date) + pd.Timedelta(days=log.today)
        rows = log.rows(cells)
        if fresh is not None and fresh.any():
            rows = replace(rows, evidence=np.where(fresh[rows.cell], 0.0, 1.0))
        return cells, history_from_rows(
            a.campaign[cells], a.segment[cells], a.creative[cells], rows, as_of, half_life_days=half_life_days,
            conversion_lag=a.policy.estimate.conversion_lag, wear_out=wear_out, previous=previous, weekday=weekday, shifts=shifts,
            dispersion=dispersion,
        )


class BudgetoptPolicy(SimulationPolicy):
    name = "budgetopt"
    disables = True

    def __init__(self, account: Account, briefing: Briefing, rng: np.random.Generator) -> None:
        super().__init__(account, briefing, rng)
        self.solvers = Solvers()
        self.yesterday: History | None = None  # the last day's History: today's fits start from its

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        """`plan_day`'s decisions on the log so far, through the same estimate → decide → allocate code (`fit_history`,
        `plan_budgets`, pacing a period as plan does), the history read from the log's arrays and its fits started
        from yesterday's, HiGHS re-solving warm."""
        a = self.account
        time_model = a.policy.estimate.time_model
        cells, history = self.history(log, previous=self.yesterday, **time_model)
        disabled = self.disabled[cells]
        off = history.off | disabled
        back = retested(off, history.last_paid_day, a.policy.decide.retest_after_days)
        if back.any():  # as plan_day: judged afresh, their earlier conversions set aside
            cells, history = self.history(log, fresh=back, previous=history, **time_model)
            self.disabled[cells[back]] = False
        self.yesterday = history
        estimates, previous = fit_history(history, a.policy), history.segment_sum(history.previous_spend)
        period = log_period(a.paced_policy, self.briefing.start_date, log, history.weekday)  # None without a period
        day = plan_budgets(
            estimates, a.paced_policy or a.policy, self.rng, disabled & ~back, previous, self.solvers, off=Off(off & ~back, back), period=period
        )
        spend = np.zeros(a.n_cells)
        spend[cells] = day.spend
        self.disabled[cells[day.decisions.verdict == DISABLE]] = True
        return Step(spend, self.disabled.copy())


class EvenPolicy(SimulationPolicy):
    name = "even"

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        shares = self.even_shares(log.known)
        return self.spend(self.even_budgets(shares), shares, log)


class ProportionalPolicy(SimulationPolicy):
    name = "proportional"

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        a = self.account
        age = log.today - np.arange(log.today)
        weight = 0.5 ** ((age - 1) / PROPORTIONAL_HALF_LIFE_DAYS)
        spend = weight @ log.spend
        revenue = (weight @ log.revenue) * a.policy.budget.margin_rate
        active = log.known
        live = a.segment_sum(active.astype(float)) > 0
        account_roas = revenue.sum() / max(spend.sum(), 1e-9)
        prior = a.policy.budget.daily_total / max(live.sum(), 1)  # one even day of a segment
        segment_roas = (a.segment_sum(revenue) + account_roas * prior) / (a.segment_sum(spend) + prior)
        n_active = a.segment_sum(active.astype(float))[a.segment_index]
        cell_prior = prior / np.maximum(n_active, 1.0)
        cell_roas = np.where(active, (revenue + segment_roas[a.segment_index] * cell_prior) / (spend + cell_prior), 0.0)
        shares = cell_roas / np.maximum(a.segment_sum(cell_roas)[a.segment_index], 1e-12)
        segment_roas = np.where(live, segment_roas, 0.0)
        desired = a.policy.budget.daily_total * segment_roas / max(segment_roas.sum(), 1e-12)
        return self.spend(desired, shares, log)


class RulesPolicy(SimulationPolicy):
    name = "rules"
    disables = True

    def __init__(self, account: Account, briefing: Briefing, rng: np.random.Generator) -> None:
        super().__init__(account, briefing, rng)
        self.budgets: np.ndarray | None = None
        self.target_cpa = briefing.target_cpa
        self.target_roas = briefing.target_roas

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        a = self.account
        margin_rate = a.policy.budget.margin_rate
        if self.budgets is None:  # the first day: targets from the account so far, budgets as they were
            if self.target_cpa is None:
                self.target_cpa = log.spend.sum() / max(log.conversions.sum(), 1.0)
            if self.target_roas is None:
                self.target_roas = log.revenue.sum() * margin_rate / max(log.spend.sum(), 1e-9)
            self.budgets = self.previous_budgets(log)
        active = log.known & ~self.disabled
        recent = slice(max(log.today - RULES_CPA_DAYS, 0), log.today)
        spend3, conversions3 = log.spend[recent].sum(0), log.conversions[recent].sum(0)
        costly = (conversions3 >= RULES_CPA_MIN_CONVERSIONS) & (spend3 > RULES_CPA_FACTOR * self.target_cpa * conversions3)
        spend_all, conversions_all = log.spend.sum(0), log.conversions.sum(0)
        barren = (spend_all >= RULES_NO_CONVERSION_SPEND) & (conversions_all == 0) & (log.today - log.first_seen >= RULES_NO_CONVERSION_DAYS)
        pause = active & (costly | barren)
        # never the last creative of a segment: keep the one with the lowest cost per acquisition so far
        left = a.segment_sum((active & ~pause).astype(float))
        for s in np.flatnonzero((left == 0) & (a.segment_sum(pause.astype(float)) > 0)):
            members = np.flatnonzero(pause & (a.segment_index == s))
            pause[members[np.argmax(conversions_all[members] / np.maximum(spend_all[members], 1e-9))]] = False
        self.disabled |= pause
        active &= ~pause

        window = slice(max(log.today - RULES_ROAS_DAYS, 0), log.today)
        segment_spend = a.segment_sum(log.spend[window].sum(0))
        segment_roas = a.segment_sum(log.revenue[window].sum(0)) * margin_rate / np.maximum(segment_spend, 1e-9)
        step = np.where(segment_spend <= 0, 1.0, np.where(segment_roas > self.target_roas, 1 + RULES_BUDGET_STEP, 1 - RULES_BUDGET_STEP))
        shares = self.even_shares(active)
        live = a.segment_sum(shares) > 0
        fresh = live & (self.budgets <= 0)  # a segment that just appeared starts at an even share
        desired = np.where(fresh, a.policy.budget.daily_total / max(live.sum(), 1), self.budgets * step)
        budgets = feasible_budgets(desired, shares, self.previous_budgets(log), a)
        self.budgets = budgets
        return Step(shares * budgets[a.segment_index], self.disabled.copy())


class AbThenCommitPolicy(SimulationPolicy):
    name = "ab_then_commit"
    disables = True

    def __init__(self, account: Account, briefing: Briefing, rng: np.random.Generator) -> None:
        super().__init__(account, briefing, rng)
        self.seen = np.zeros(account.n_cells, dtype=bool)
        self.test_start = np.zeros(account.n_segments, dtype=int)
        self.champion = np.full(account.n_segments, -1)

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        a = self.account
        first_seen = log.first_seen
        new = log.known & ~self.seen
        for s in np.unique(a.segment_index[new]):  # a new creative opens a test against the champion
            members = a.segment_index == s
            self.test_start[s] = first_seen[members & log.known].max()
            self.champion[s] = -1
        self.seen |= log.known
        contenders = log.known & ~self.disabled
        for s in np.flatnonzero((self.champion < 0) & (log.today - self.test_start >= AB_TEST_DAYS)):
            members = np.flatnonzero(contenders & (a.segment_index == s))
            if len(members) == 0:
                continue
            window = slice(self.test_start[s], log.today)
            roas = log.revenue[window, members].sum(0) / np.maximum(log.spend[window, members].sum(0), 1e-9)
            best = members[np.argmax(roas)]
            self.champion[s] = best
            self.disabled[members[members != best]] = True
        contenders = log.known & ~self.disabled
        shares = self.even_shares(contenders)
        return self.spend(self.even_budgets(shares), shares, log)


class ThompsonPolicy(SimulationPolicy):
    name = "thompson"

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        a = self.account
        samples = conversion_draws(log.conversions.sum(0), log.visits.sum(0), self.rng, THOMPSON_DRAWS)
        shares = matching_shares(samples, log.known, a.segment_index, a.n_segments)
        return self.spend(self.even_budgets(shares), shares, log)


def solved(problem: AllocationProblem, warm: WarmStart, who: str) -> np.ndarray:
    """(segments,) the LP's optimal budgets, re-solved warm; an infeasible policy is explained."""
    allocation = solve(problem, warm=warm)
    if allocation.status == "infeasible":
        raise diagnose(problem)
    if allocation.status != "optimal":
        raise SolverError(f"{who}'s allocation {allocation.status}")
    return allocation.spend


def best_shares(value: np.ndarray, eligible: np.ndarray, segment_index: np.ndarray) -> np.ndarray:
    """(cells,) 1 for each segment's eligible cell of highest `value` (ties: the first), else 0."""
    value = np.where(eligible, value, -np.inf)
    order = np.lexsort((np.arange(len(value)), -value, segment_index))  # per segment: best first, ties by position
    first = order[np.r_[True, segment_index[order][1:] != segment_index[order][:-1]]]
    shares = np.zeros(len(value))
    shares[first[eligible[first]]] = 1.0
    return shares


class GreedyPolicy(SimulationPolicy):
    name = "greedy"

    def __init__(self, account: Account, briefing: Briefing, rng: np.random.Generator) -> None:
        super().__init__(account, briefing, rng)
        estimate = account.policy.estimate.model_copy(update={"half_life_days": GREEDY_HALF_LIFE_DAYS, "pooling": "segment"})
        self.policy = account.policy.model_copy(update={"estimate": estimate})
        self.solver = WarmStart()

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        """Each segment on its creative of highest posterior mean value per euro; the LP on those means."""
        a, p = self.account, self.policy
        cells, h = self.history(log, GREEDY_HALF_LIFE_DAYS)
        estimates = fit_history(h, p)
        value = estimates.value_per_euro_mean()
        shares = best_shares(value, np.ones(h.n_cells, dtype=bool), h.segment_index)
        coef = bound_coefficients(p, h.campaign, h.segment, h.creative, h.segment_index, h.n_segments, shares)
        curves = SegmentCurves(h.segment_sum(shares * value), estimates.saturation_spend)
        live = np.ones(h.n_segments, dtype=bool)
        problem = policy_problem(p, curves, tuple(h.segment_labels), h.segment_sum(h.previous_spend), live, coef)
        spend = np.zeros(a.n_cells)
        spend[cells] = shares * solved(problem, self.solver, self.name)[h.segment_index]
        return Step(spend, self.disabled.copy())


class OraclePolicy(SimulationPolicy):
    name = "oracle"
    knows_truth = True

    def __init__(self, account: Account, briefing: Briefing, rng: np.random.Generator, saturation_spend: np.ndarray | None = None) -> None:
        super().__init__(account, briefing, rng)
        if saturation_spend is None:
            raise ValueError("the oracle needs the true saturation spend of every segment")
        self.saturation_spend = saturation_spend
        self.solver = WarmStart()  # the same LP day after day, on moving values: re-solved from yesterday's basis

    def plan(self, log: LogView, truth: DayTruth | None = None) -> Step:
        if truth is None:
            raise ValueError("the oracle plans from the day's truth")
        a = self.account
        shares = best_shares(truth.value_per_euro, truth.live, a.segment_index)
        segment_value = a.segment_sum(np.where(shares > 0, truth.value_per_euro, 0.0))
        live = a.segment_sum(shares) > 0
        curves = SegmentCurves(segment_value, self.saturation_spend)
        problem = policy_problem(a.policy, curves, a.segment_labels, self.previous_budgets(log), live, a.bound_coef(shares))
        return Step(shares * solved(problem, self.solver, "the oracle")[a.segment_index], self.disabled.copy())


POLICIES: dict[str, type[SimulationPolicy]] = {
    cls.name: cls
    for cls in (BudgetoptPolicy, EvenPolicy, ProportionalPolicy, RulesPolicy, AbThenCommitPolicy, ThompsonPolicy, GreedyPolicy, OraclePolicy)
}


def parse_policies(text: str | None) -> tuple[str, ...]:
    """'a,b' → ('a', 'b') in the registry's order, the oracle always included (it is the yardstick)."""
    if text is None or not text.strip():
        return tuple(POLICIES)
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in POLICIES]
    if unknown:
        raise InputError(f"--policies: unknown policy {unknown[0]!r}; choose among {', '.join(POLICIES)}")
    chosen = set(wanted) | {"oracle"}
    return tuple(name for name in POLICIES if name in chosen)
