"""From the log to per-cell arrays: the cell index, decay and lag weights, sufficient statistics.

Cells are sorted by (campaign, segment, creative), so each segment's cells are contiguous;
`segment_start` gives where each segment begins (for `np.*.reduceat`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from budgetopt.data.schema import CellStatus
from budgetopt.errors import InputError
from budgetopt.estimate.dispersion import Dispersion, day_worths
from budgetopt.estimate.forgetting import Forgetting, fixed, learn_forgetting
from budgetopt.estimate.shifts import Shifts, find_shifts
from budgetopt.estimate.wearout import WearOut, carried_wear, fit_wear_out
from budgetopt.estimate.weekday import row_weekday_factors
from budgetopt.model import saturation_factor, segment_sums


@dataclass(frozen=True)
class Totals:
    """Weighted sufficient statistics per cell, (cells,) arrays that add across periods."""

    spend: np.ndarray  # currency
    effective_spend: np.ndarray  # currency, saturation-adjusted: what the spend would buy unsaturated
    visits: np.ndarray
    exposure: np.ndarray  # visits or impressions, discounted for conversions not yet reported
    raw_exposure: np.ndarray  # visits or impressions, undiscounted (for exposure per euro)
    conversions: np.ndarray
    revenue: np.ndarray  # currency
    paid_visits: np.ndarray  # visits on days the cell spent: what visits per euro is learned from
    paid_exposure: np.ndarray  # visits or impressions on days the cell spent, undiscounted


@dataclass(frozen=True)
class CellDays:
    """The log's rows as arrays, (rows,) each: enough to fit saturation with each creative's own cost."""

    cell: np.ndarray  # int, into the History's cells
    segment: np.ndarray  # int
    segment_day: np.ndarray  # int, one id per (segment, day)
    segment_spend: np.ndarray  # the segment's total spend that day, currency
    spend: np.ndarray  # the cell's spend that day, currency
    visits: np.ndarray
    weight: np.ndarray | float = 1.0  # the day's decay weight (see day_weights); 1 = unweighted


@dataclass(frozen=True)
class History:
    """A log seen from a plan date: the cells, their weighted totals and the segments' daily spend."""

    as_of: pd.Timestamp  # the plan's date: only days before it are used
    campaign: np.ndarray  # (cells,) str
    segment: np.ndarray  # (cells,) str
    creative: np.ndarray  # (cells,) str
    segment_index: np.ndarray  # (cells,) int
    campaign_index: np.ndarray  # (cells,) int
    segment_start: np.ndarray  # (segments,) first cell of each segment
    paused: np.ndarray  # (cells,) bool: the latest row says status = paused
    totals: Totals  # weighted (decay, lag)
    raw: Totals  # unweighted, for display (visits and conversions as logged)
    previous_spend: np.ndarray  # (cells,) spend on the last logged day, currency
    last_date: pd.Timestamp
    days: "CellDays"  # every logged (cell, day), unweighted: what saturation is fitted on
    forgetting: Forgetting | None = None  # how fast each segment's days lose weight (learned or fixed)
    last_paid_day: np.ndarray | None = None  # (cells,) days before as_of of the cell's last row with spend; -1: never spent
    weekday: np.ndarray | None = None  # (segments, 7) weekday multipliers of each segment's rate, Monday first (None: not fitted)
    wear: WearOut | None = None  # the wear-out fit behind the exposure's forecast, its rows' factors dropped (None: off)
    shifts: Shifts | None = None  # steps of a campaign's or the account's rate found, their rows' factors dropped (None: off)
    dispersion: Dispersion | None = None  # how far daily rates vary beyond chance, behind the rows' worth (None: off)

    @property
    def daily_rate_spread(self) -> float | None:
        """σ, how far creatives' daily rates vary beyond chance (estimate.dispersion); None: [estimate] dispersion = false."""
        return None if self.dispersion is None else self.dispersion.spread

    @property
    def off(self) -> np.ndarray:
        """(cells,) creatives that spent before but not on their segment's last day with spend, while the
        segment did: switched off (by the engine on an earlier day, the user or the platform), as the log
        shows it without a ledger. Paused ones (status column) are not counted: they say why."""
        spent_before = self.last_paid_day > 0 if self.last_paid_day is not None else np.zeros(self.n_cells, bool)
        segment_spent = self.segment_sum(self.previous_spend)[self.segment_index] > 0
        return spent_before & (self.previous_spend <= 0) & segment_spent & ~self.paused

    @property
    def n_cells(self) -> int:
        return len(self.creative)

    @property
    def n_segments(self) -> int:
        return len(self.segment_start)

    def segment_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum a (..., cells) array within each segment → (..., segments)."""
        return segment_sums(values, self.segment_index, self.n_segments, self.segment_start)

    def with_saturation(self, saturation_spend: np.ndarray) -> History:
        """The same history with effective spend: what each day's spend bought at its segment's
        saturation, given each segment's saturation spend (segments,), currency per day."""
        d = self.days
        bought = d.spend * saturation_factor(d.segment_spend, saturation_spend[d.segment])
        effective = lambda w: np.bincount(d.cell, weights=bought * w, minlength=self.n_cells)  # noqa: E731
        return replace(
            self,
            totals=replace(self.totals, effective_spend=effective(d.weight)),
            raw=replace(self.raw, effective_spend=effective(1.0)),
        )

    @property
    def segment_labels(self) -> list[str]:
        starts = self.segment_start
        return [f"{c}/{s}" for c, s in zip(self.campaign[starts], self.segment[starts])]


def unpaid_evidence(history: History) -> np.ndarray:
    """(cells,) creatives that never spent yet show traffic or conversions: evidence nobody paid for
    (view-through, organic, a misattributed export). A creative just launched, with no row of data,
    is not one of them: it is new, and judged as new."""
    raw = history.raw
    return (raw.spend <= 0) & ((raw.raw_exposure > 0) | (raw.visits > 0) | (raw.conversions > 0))


def sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n, k) sums of the (rows, k) `values` rows by their `index` (rows,) in [0, n); one reduceat
    when the index is sorted and covers every group (cells of segments are), np.add.at otherwise."""
    if len(index) and np.all(np.diff(index) >= 0) and index[0] == 0 and index[-1] == n - 1 and np.all(np.diff(index) <= 1):
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        return np.add.reduceat(values, starts, axis=0)
    total = np.zeros((n, values.shape[1]))
    np.add.at(total, index, values)
    return total


def day_weights(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """Decay weight of a day `age_days` before the plan date (yesterday = 1 → weight 1)."""
    if np.isinf(half_life_days):
        return np.ones_like(age_days, dtype=float)
    return 0.5 ** ((age_days - 1) / half_life_days)


def lag_completeness(age_days: np.ndarray, conversion_lag: tuple[float, ...]) -> np.ndarray:
    """Share of a day's final conversions already reported, by age (yesterday = 1)."""
    if not conversion_lag:
        return np.ones_like(age_days, dtype=float)
    profile = np.asarray(conversion_lag, dtype=float)
    index = np.clip(age_days - 1, 0, None).astype(int)
    return np.where(index < len(profile), profile[np.minimum(index, len(profile) - 1)], 1.0)


@dataclass(frozen=True)
class LogRows:
    """A log's rows as arrays, (rows,) each, in the log's order (by date, then cell): what
    `history_from_rows` needs, whether they come from a file (build_history) or the simulator."""

    cell: np.ndarray  # int, into the cells (sorted by campaign, segment, creative)
    age: np.ndarray  # int, days before the plan date (yesterday = 1)
    spend: np.ndarray  # currency
    visits: np.ndarray
    exposure: np.ndarray  # visits or impressions
    conversions: np.ndarray
    revenue: np.ndarray  # currency
    paused: np.ndarray | bool = False  # bool: the row says status = paused
    evidence: np.ndarray | float = 1.0  # 0 for a re-enabled cell's rows before its new test (see fresh_since)


def build_history(
    log: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    *,
    half_life_days: float | None = 14.0,
    conversion_lag: tuple[float, ...] = (),
    exposure: str = "visits",
    fresh_since: dict[tuple[str, str, str], pd.Timestamp] | None = None,
    wear_out: bool = False,
    weekday: bool = False,
    shifts: bool = False,
    dispersion: bool = False,
) -> History:
    """Index the cells of `log` and weigh its days as seen on `as_of` (default: the day after the last).

    `fresh_since` maps re-enabled cells to the day their new test began: their conversions, revenue
    and exposure before it are set aside (spend and visits still inform their cost per visit).
    """
    last = log["date"].max()
    as_of = last + pd.Timedelta(days=1) if as_of is None else pd.Timestamp(as_of)
    before = log["date"] < as_of
    seen = log if before.all() else log[before]  # no copy of a log planned from the day after its last (the usual case)
    if seen.empty:
        raise InputError(
            f"no log rows before the plan date {as_of:%Y-%m-%d} (the log starts on {log['date'].min():%Y-%m-%d}); "
            "choose a later --date",
        )
    # integer codes per name column (hash-based), combined so integer order = (campaign, segment, creative) order
    codes, names = zip(*(pd.factorize(seen[column], sort=True) for column in ("campaign", "segment", "creative")))
    sizes = [len(n) for n in names]
    row_key = (codes[0].astype(np.int64) * sizes[1] + codes[1]) * sizes[2] + codes[2]
    cell_keys, cell_codes = np.unique(row_key, return_inverse=True)
    campaign_code, rest = np.divmod(cell_keys, sizes[1] * sizes[2])
    segment_code, creative_code = np.divmod(rest, sizes[2])
    dates = seen["date"].to_numpy()
    visits = seen["visits"].to_numpy(float)
    evidence: np.ndarray | float = 1.0
    if fresh_since:
        since = pd.Series(fresh_since, dtype="datetime64[ns]")
        since.index = pd.MultiIndex.from_tuples(since.index)
        cutoff = since.reindex(pd.MultiIndex.from_frame(seen[["campaign", "segment", "creative"]])).to_numpy()
        evidence = np.where(dates < cutoff, 0.0, 1.0)  # NaT (cells not re-enabled) compares False: kept
    rows = LogRows(
        cell=cell_codes.ravel(),
        age=((as_of.to_datetime64() - dates) / np.timedelta64(1, "D")).astype(int),
        spend=seen["spend"].to_numpy(float),
        visits=visits,
        exposure=seen["impressions"].to_numpy(float) if exposure == "impressions" else visits,
        conversions=seen["conversions"].to_numpy(float),
        revenue=seen["revenue"].to_numpy(float),
        paused=seen["status"].to_numpy() == CellStatus.PAUSED,
        evidence=evidence,
    )
    campaign = np.asarray(names[0], dtype=str)[campaign_code]
    segment = np.asarray(names[1], dtype=str)[segment_code]
    creative = np.asarray(names[2], dtype=str)[creative_code]
    return history_from_rows(
        campaign, segment, creative, rows, as_of, half_life_days=half_life_days, conversion_lag=conversion_lag, wear_out=wear_out, weekday=weekday,
        shifts=shifts, dispersion=dispersion,
    )


def _time_model(
    rows: LogRows, day_number: np.ndarray, completeness: np.ndarray, segment_index: np.ndarray, segment_start: np.ndarray,
    half_life_days: float | None, wear_out: bool, start: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[Forgetting, np.ndarray, WearOut | None]:
    """(forgetting, each row's day weight, the wear-out fit whose factor is each row's exposure in tomorrow's
    units; None without it): the fixed or learned half-life, and the wear-out forecast, both fitted on exposure
    discounted for conversions not yet reported; `start`: where the wear-out's Newton starts (see carried_wear)."""
    age, cell = rows.age, rows.cell
    exposure, conversions = _counted(rows, completeness)
    if half_life_days is None:  # learned from the log, per segment
        forgetting = learn_forgetting(cell, day_number, exposure, conversions, segment_index, segment_start, int(day_number.max()) + 1)
        weight = forgetting.kernel(int(age.max()))[segment_index[cell], age]
    else:
        forgetting = fixed(half_life_days, len(segment_start))
        weight = day_weights(age, half_life_days)
    wear = fit_wear_out(cell, day_number, exposure, conversions, len(segment_index), start) if wear_out else None
    return forgetting, weight, wear


def _latest(rows: LogRows, day_number: np.ndarray, row_segment: np.ndarray, n_segments: int, n_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(previous spend, last day number with spend (−1: never), paused), each (cells,): yesterday is each
    segment's last day with spend (a segment missing from the log's last date is not new); the latest row
    of each cell decides whether the user paused it."""
    cell_codes, spend = rows.cell, rows.spend
    paid = spend > 0
    segment_last = np.full(n_segments, -1)
    np.maximum.at(segment_last, row_segment[paid], day_number[paid])
    on_last = day_number == segment_last[row_segment]
    cell_last = np.full(n_cells, -1)
    np.maximum.at(cell_last, cell_codes[paid], day_number[paid])
    previous_spend = np.bincount(cell_codes[on_last], weights=spend[on_last], minlength=n_cells)
    paused = np.zeros(n_cells, dtype=bool)
    if np.any(rows.paused):
        order = np.lexsort((day_number, cell_codes))
        latest = order[np.r_[cell_codes[order][1:] != cell_codes[order][:-1], True]]
        paused[cell_codes[latest]] = np.broadcast_to(rows.paused, cell_codes.shape)[latest]
    return previous_spend, cell_last, paused


def history_from_rows(
    campaign: np.ndarray,
    segment: np.ndarray,
    creative: np.ndarray,
    rows: LogRows,
    as_of: pd.Timestamp,
    *,
    half_life_days: float | None = 14.0,
    conversion_lag: tuple[float, ...] = (),
    wear_out: bool = False, weekday: bool = False, shifts: bool = False, dispersion: bool = False,
    previous: History | None = None,
) -> History:
    """The History of cells named by `campaign`, `segment`, `creative` (cells,), sorted by those
    names and each listed once, from their `rows` as seen on `as_of` (every row's age ≥ 1).
    half_life_days: a day this old counts half; None: learned per segment from the log (see forgetting).
    wear_out, weekday: each day's exposure counts at tomorrow's rate, by its creative's wear-out slope, its segment's weekday effects.
    shifts: the days before a step in a whole campaign's (or the account's) rate count at its new level (see shifts).
    dispersion: a day's conversions count as the evidence they are when rates vary from day to day beyond chance (see dispersion).
    previous: the history of an earlier day of the same log (the simulator's yesterday): its fits are where
    today's iterations start; the History is the one built without it, to the fits' tolerance."""
    n_cells, (segment_start, segment_index, campaign_index) = len(creative), _segments(campaign, segment)
    n_segments = len(segment_start)
    cell_codes, age = rows.cell, rows.age
    day_number = age.max() - age
    completeness = lag_completeness(age, conversion_lag)
    spend, visits, expo, conversions, revenue = rows.spend, rows.visits, rows.exposure, rows.conversions, rows.revenue
    row_segment, n_days = segment_index[cell_codes], int(day_number.max()) + 1
    segday = row_segment * n_days + day_number
    week, seasonal = row_weekday_factors(*_counted(rows, completeness), rows.age, row_segment, segday, _epoch_day(as_of), (n_segments, n_days)) if weekday else (None, 1.0)
    noise, worth = day_worths(cell_codes, day_number, *_counted(rows, completeness * seasonal), n_cells, n_days) if dispersion else (None, 1.0)
    fitted = replace(rows, evidence=_times(worth, rows.evidence))  # the rows as evidence about the rates
    start = carried_wear(previous, campaign, segment, creative) if wear_out else None
    steps = _steps(fitted, day_number, completeness * seasonal, segment_index, campaign_index, as_of) if shifts else None
    if steps is not None:  # the rows' factor goes into seasonal's, then is dropped: a log's rows are not kept twice
        seasonal, steps = _times(seasonal, steps.factor), replace(steps, factor=1.0)
    forgetting, weight, wear = _time_model(fitted, day_number, completeness * seasonal, segment_index, segment_start, half_life_days, wear_out, start)
    forecast = (1.0 if wear is None else wear.factor) * seasonal

    def totals(w: np.ndarray | None, lag: np.ndarray | float, display: bool) -> Totals:
        """w: each row's weight (None: 1, unweighted); lag: its completeness."""
        add = lambda values: np.bincount(cell_codes, weights=values if w is None else values * w, minlength=n_cells)  # noqa: E731
        evidence = rows.evidence if display else fitted.evidence
        total_spend = add(spend)
        return Totals(
            spend=total_spend,
            effective_spend=total_spend.copy(),  # unsaturated until with_saturation
            visits=add(visits * evidence) if display else add(visits),
            exposure=add(expo * lag * evidence * (1.0 if display else forecast)),
            raw_exposure=add(expo),
            conversions=add(conversions * evidence),
            revenue=add(revenue * evidence),
            # traffic on a day without spend was not bought: a zero-spend row's conversions are evidence
            # about the rate, never visits per euro (else a cell would look free)
            paid_visits=add(visits * paid),
            paid_exposure=add(expo * paid),
        )

    previous_spend, cell_last, paused = _latest(rows, day_number, row_segment, n_segments, n_cells)
    paid = spend > 0
    return History(
        as_of=as_of,
        campaign=campaign,
        segment=segment,
        creative=creative,
        segment_index=segment_index,
        campaign_index=campaign_index,
        segment_start=segment_start,
        paused=paused,
        totals=totals(weight, completeness, display=False),
        raw=totals(None, 1.0, display=True),
        previous_spend=previous_spend,
        last_date=as_of - pd.Timedelta(days=int(age.min())),
        days=_cell_days(rows, row_segment, segday, n_segments * n_days, weight),
        forgetting=forgetting,
        last_paid_day=np.where(cell_last >= 0, int(age.max()) - cell_last, -1),
        weekday=week,
        wear=None if wear is None else replace(wear, factor=np.empty(0)),  # per creative only: a log's rows are not kept twice
        shifts=steps,
        dispersion=noise,
    )


def _cell_days(rows: LogRows, row_segment: np.ndarray, segday: np.ndarray, n_segday: int, weight: np.ndarray) -> CellDays:
    """The rows as saturation reads them: segday (rows,) each row's segment × day number, of n_segday."""
    segday_rank = np.cumsum(np.bincount(segday, minlength=n_segday) > 0) - 1  # each (segment, day) with a row, numbered in order
    segday_spend = np.bincount(segday, weights=rows.spend, minlength=n_segday)
    return CellDays(
        cell=rows.cell, segment=row_segment, segment_day=segday_rank[segday], segment_spend=segday_spend[segday],
        spend=rows.spend, visits=np.where(rows.spend > 0, rows.visits, 0.0), weight=weight,
    )


def _times(values: np.ndarray, by: np.ndarray | float) -> np.ndarray:
    """values × by, without a copy when by is the scalar 1 (a 4 M-row log's column is 34 MB)."""
    return values if np.ndim(by) == 0 and by == 1.0 else values * by


def _counted(rows: LogRows, units: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(exposure × units, conversions) (rows,) as the fits count them: a re-enabled cell's rows before its new test set aside."""
    return _times(_times(rows.exposure, units), rows.evidence), _times(rows.conversions, rows.evidence)


def _steps(rows: LogRows, day_number: np.ndarray, units: np.ndarray | float, segment_index: np.ndarray, campaign_index: np.ndarray, as_of: pd.Timestamp) -> Shifts:
    """The steps of a campaign's or the account's conversion rate (see shifts), found on their exposure × `units` (rows,):
    in the units the rates are fitted on (reported share, weekday)."""
    first = (as_of - pd.Timedelta(days=int(rows.age.max()))).to_datetime64()
    exposure, conversions = _counted(rows, units)
    return find_shifts(rows.cell, day_number, exposure, conversions, segment_index, campaign_index, int(day_number.max()) + 1, first)


def _segments(campaign: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment_start (segments,), segment_index (cells,), campaign_index (cells,)) of cells sorted by name."""
    new_campaign = np.r_[True, campaign[1:] != campaign[:-1]]
    segment_start = np.flatnonzero(new_campaign | np.r_[True, segment[1:] != segment[:-1]])
    segment_index = np.repeat(np.arange(len(segment_start)), np.diff(np.r_[segment_start, len(segment)]))
    return segment_start, segment_index, np.cumsum(new_campaign) - 1


def _epoch_day(date: pd.Timestamp) -> int:
    """Days from 1970-01-01 to `date`."""
    return (date - pd.Timestamp("1970-01-01")).days
