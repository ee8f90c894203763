"""Building the LP with numpy/scipy sparse arrays and solving it with HiGHS (highspy).

Columns: for each segment, PIECES + 1 concave pieces x_sk ∈ [0, width_sk]; its budget is
T_s = Σ_k x_sk. Rows: one per segment (floor ≤ T_s ≤ cap), the total (min_total ≤ Σ T ≤
daily_total), one per [[bounds]] (min ≤ Σ_s coef_bs T_s ≤ max). Because pieces are concave, the
optimiser fills them in order, so no integer variables are needed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
from scipy import sparse

from budgetopt.allocate.greedy import Knapsack, fill
from budgetopt.allocate.problem import AllocationProblem
from budgetopt.allocate.risk import risk_rows
from budgetopt.allocate.targets import bought_slopes, objective_slopes, target_rows
from budgetopt.errors import InputError, SolverError

#: HiGHS's feasibility tolerances, absolute, in currency (its default, 1e-7, let an answer move by
#: that much between two currency units of the same problem; these LPs are small, so tighter is cheap)
FEASIBILITY_TOLERANCE = 1e-9
#: an activity within this of its limit counts as "at" the limit (currency)
AT_LIMIT = 1e-6
_INF = highspy.kHighsInf
_banner_silenced = False


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance. The library prints a banner on stdout when the first one is made
    in a process, before any option can be set; that one construction runs with fd 1 muted."""
    global _banner_silenced
    if _banner_silenced:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_silenced = True
    highs.silent()
    return highs


SOLVER_NAME = f"HiGHS {new_highs().version()}"


@dataclass(frozen=True)
class Binding:
    """A constraint at its limit, and what one more unit of that limit would earn (currency per currency)."""

    constraint: str
    shadow_price: float
    in_words: str | None = None  # the sentence, where "one more unit" is not how the limit moves (a target)


@dataclass(frozen=True)
class Allocation:
    """The solver's answer: status 'optimal' only when HiGHS proved it."""

    status: str  # "optimal" | "infeasible" | "stopped: <reason>"
    spend: np.ndarray  # (segments,) budgets, currency per day
    objective: float  # expected margin of the piecewise model, currency per day
    segment_dual: np.ndarray  # (segments,) margin per extra unit of each segment's binding floor/cap
    total_dual: float
    bound_dual: np.ndarray  # (bounds,)
    seconds: float
    solver: str = "HiGHS"
    target_dual: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (target rows,) objective per unit of each row's lower limit


@dataclass(frozen=True)
class LinearProgram:
    """min c·x s.t. row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper (A is CSC)."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    matrix: sparse.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    pieces_per_segment: int


def piece_span(problem: AllocationProblem) -> np.ndarray:
    """(segments,) the budgets the concave pieces cover: [0, cap], or [0, daily_total] without a cap (then a tail piece)."""
    span = np.maximum(np.where(np.isfinite(problem.upper), problem.upper, problem.total_max), problem.lower)
    return np.maximum(span, 1e-9)


def build(problem: AllocationProblem, value_per_euro: np.ndarray | None = None) -> LinearProgram:
    """The LP of `problem` (optionally with other values per euro, e.g. a posterior draw)."""
    curves = problem.curves
    if value_per_euro is not None:
        curves = type(curves)(value_per_euro, curves.saturation_spend)
    n = problem.n_segments
    # pieces cover [0, cap] (or [0, daily_total] without a cap): breakpoints do not move with the total,
    # so the optimal value is one piecewise-linear function of the total and its dual is its slope
    span = piece_span(problem)
    widths, slopes = curves.pieces(span, problem.pieces)
    k = widths.shape[1]
    cols = n * k
    segment_of_col = np.repeat(np.arange(n), k)
    # rows: segments (n), total (1), bounds (b)
    seg_rows = sparse.csr_matrix((np.ones(cols), (segment_of_col, np.arange(cols))), shape=(n, cols))
    total_row = sparse.csr_matrix(np.ones((1, cols)))
    bound_rows = sparse.csr_matrix(problem.bound_coef[:, segment_of_col]) if len(problem.bound_min) else sparse.csr_matrix((0, cols))
    gain, extra_rows, extra_lower = slopes, sparse.csr_matrix((0, cols)), np.zeros(0)
    bought = bought_slopes(widths, span, curves.saturation_spend) if problem.targets is not None or problem.risk is not None else None
    if problem.targets is not None:  # [targets] rows and the objective (allocate.targets)
        gain = objective_slopes(problem.targets, slopes, bought, curves.value_per_euro)
        coef, extra_lower = target_rows(problem.targets, bought)
        extra_rows = sparse.csr_matrix(coef)
    matrix = sparse.vstack([seg_rows, total_row, bound_rows, extra_rows])
    row_lower = np.r_[problem.lower, problem.total_min, problem.bound_min, extra_lower]
    row_upper = np.r_[problem.upper, problem.total_max, problem.bound_max, np.full(len(extra_lower), np.inf)]
    cost, col_lower, col_upper = -gain.ravel(), np.zeros(cols), widths.ravel()
    if problem.risk is not None:  # [budget] risk_aversion: η, u and one row per draw (allocate.risk)
        cost, col_lower, col_upper, block, risk_lower = risk_rows(problem.risk, gain, bought, widths)
        matrix = sparse.vstack([sparse.hstack([matrix, sparse.csr_matrix((matrix.shape[0], len(cost) - cols))]), block])
        row_lower, row_upper = np.r_[row_lower, risk_lower], np.r_[row_upper, np.full(len(risk_lower), np.inf)]
    return LinearProgram(cost, col_lower, col_upper, matrix.tocsc(), row_lower, row_upper, pieces_per_segment=k)


def _highs_model(lp: LinearProgram, objective: bool = True) -> highspy.HighsLp:
    """The LP as a HighsLp (column-wise sparse matrix; infinities as HiGHS's)."""
    model = highspy.HighsLp()
    model.num_col_ = len(lp.cost)
    model.num_row_ = len(lp.row_lower)
    model.col_cost_ = lp.cost if objective else np.zeros_like(lp.cost)
    model.col_lower_ = np.where(np.isinf(lp.col_lower), -_INF, lp.col_lower)
    model.col_upper_ = np.where(np.isinf(lp.col_upper), _INF, lp.col_upper)
    model.row_lower_ = np.where(np.isinf(lp.row_lower), -_INF, lp.row_lower)
    model.row_upper_ = np.where(np.isinf(lp.row_upper), _INF, lp.row_upper)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.matrix.indptr
    model.a_matrix_.index_ = lp.matrix.indices
    model.a_matrix_.value_ = lp.matrix.data
    return model


def _configured_highs(time_limit: float) -> highspy.Highs:
    highs = new_highs()
    highs.setOptionValue("time_limit", float(time_limit))
    for option in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
        highs.setOptionValue(option, FEASIBILITY_TOLERANCE)
    return highs


class WarmStart:
    """One HiGHS instance kept from solve to solve, for a caller that re-solves a like problem day
    after day (the simulator): when the constraint matrix is the one it holds (same segments,
    pieces and bounds' coefficients), only costs and limits are changed in place and HiGHS starts
    from its last basis (250 segments in the simulator: the day's mean allocation ≈ 6 ms, against
    16 ms cold). Otherwise the model is passed anew,
    and so it is again when a warm run ends without an optimum or a proof of infeasibility (HiGHS
    can stop at 'Unknown' from a basis far from the new problem's)."""

    def __init__(self) -> None:
        self.highs: highspy.Highs | None = None
        self._matrix: sparse.csc_matrix | None = None

    def forget(self) -> None:
        """Drop the instance: the next solve passes its model anew (after a warm run that proved nothing)."""
        self.highs, self._matrix = None, None

    def holds(self, matrix: sparse.csc_matrix) -> bool:
        m = self._matrix
        return (
            m is not None and m.shape == matrix.shape and m.nnz == matrix.nnz
            and np.array_equal(m.indptr, matrix.indptr) and np.array_equal(m.indices, matrix.indices) and np.array_equal(m.data, matrix.data)
        )

    def load(self, lp: LinearProgram, time_limit: float) -> highspy.Highs:
        """The instance, holding `lp`: its costs and limits changed in place, or the model passed anew."""
        if self.highs is not None and self.holds(lp.matrix):
            cols = np.arange(len(lp.cost), dtype=np.int32)
            rows = np.arange(len(lp.row_lower), dtype=np.int32)
            self.highs.setOptionValue("time_limit", float(time_limit))
            self.highs.changeColsCost(len(cols), cols, lp.cost)
            self.highs.changeColsBounds(len(cols), cols, lp.col_lower, np.where(np.isinf(lp.col_upper), _INF, lp.col_upper))
            self.highs.changeRowsBounds(
                len(rows), rows, np.where(np.isinf(lp.row_lower), -_INF, lp.row_lower), np.where(np.isinf(lp.row_upper), _INF, lp.row_upper)
            )
            return self.highs
        self.highs = _configured_highs(time_limit)
        self.highs.passModel(_highs_model(lp))
        self._matrix = lp.matrix
        return self.highs


def run_highs(lp: LinearProgram, *, time_limit: float = 60.0, objective: bool = True, warm: WarmStart | None = None) -> tuple[highspy.Highs, float]:
    """Pass the LP to a fresh silent HiGHS (or to `warm`'s, see WarmStart) and run it; returns the
    solver and the seconds taken."""
    started = time.perf_counter()
    if warm is not None and objective:
        highs = warm.load(lp, time_limit)
    else:
        highs = _configured_highs(time_limit)
        highs.passModel(_highs_model(lp, objective))
    highs.run()
    return highs, time.perf_counter() - started


def _lp_name(text: str) -> str:
    """A name LP and MPS readers accept (names come from ad platforms: anything else becomes _)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_.") else "_" for c in text)


def check_model_path(path: str | Path) -> Path:
    """The --export-lp path, refused before any work unless it ends in .lp or .mps (the format HiGHS writes)."""
    path = Path(path)
    if path.suffix.lower() not in (".lp", ".mps"):
        raise InputError(f"--export-lp {path}: give a file name ending in .lp or .mps")
    return path


def model_bytes(problem: AllocationProblem, suffix: str) -> bytes:
    """The allocation LP as HiGHS solves it, named by segment, piece and constraint, in the format of
    `suffix` (.lp or .mps); the caller writes it with the run's other outputs."""
    check_model_path(f"model{suffix}")
    lp = build(problem)
    k = lp.pieces_per_segment
    segments = [_lp_name(label) for label in problem.segment_labels]
    highs = new_highs()
    model = _highs_model(lp)
    model.col_names_ = [f"{segments[s]}_piece{j}" for s in range(problem.n_segments) for j in range(k)]
    model.row_names_ = [f"segment_{name}" for name in segments] + ["total"] + [
        f"bound{b + 1}_{_lp_name(label)}" for b, label in enumerate(problem.bound_labels)
    ] + [f"target{t + 1}_{_lp_name(row.label)}" for t, row in enumerate(problem.targets.rows if problem.targets is not None else ())]
    model.col_names_ += [f"extra{j}" for j in range(model.num_col_ - len(model.col_names_))]
    model.row_names_ += [f"extra_row{j}" for j in range(model.num_row_ - len(model.row_names_))]
    highs.passModel(model)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"model{suffix.lower()}"
        highs.writeModel(str(path))
        return path.read_bytes()


def is_infeasible(highs: highspy.Highs) -> bool:
    status = highs.getModelStatus()
    return status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)


#: summary.json's "solver" when the greedy answered (allocate.greedy)
GREEDY_NAME = "exact greedy (only the total couples the segments)"


def total_only(problem: AllocationProblem) -> bool:
    """Whether the total is the only limit across segments: no [[bounds]] or exploration row, no [targets], no risk."""
    return problem.bound_coef.shape[0] == 0 and problem.targets is None and problem.risk is None


def solve_greedy(problem: AllocationProblem, value_per_euro: np.ndarray | None = None) -> Allocation | None:
    """The LP's optimum by allocate.greedy, for a `total_only` problem; None where the greedy leaves it to HiGHS."""
    started = time.perf_counter()
    curves = problem.curves if value_per_euro is None else type(problem.curves)(value_per_euro, problem.curves.saturation_spend)
    widths, slopes = curves.pieces(piece_span(problem), problem.pieces)
    answer = fill(widths, slopes, problem.lower, problem.upper, problem.total_min, problem.total_max)
    if not isinstance(answer, Knapsack):
        if answer is None:
            return None
        empty = np.full(problem.n_segments, np.nan)
        return Allocation("infeasible", empty, np.nan, empty, np.nan, np.zeros(0), time.perf_counter() - started, GREEDY_NAME)
    return Allocation("optimal", answer.spend, answer.objective, answer.segment_dual, answer.total_dual, np.zeros(0),
                      time.perf_counter() - started, GREEDY_NAME)


def solve(
    problem: AllocationProblem, value_per_euro: np.ndarray | None = None, *, time_limit: float = 60.0, warm: WarmStart | None = None
) -> Allocation:
    """Solve the allocation; an infeasible policy returns status 'infeasible' (see explain.diagnose).
    Where only the total couples the segments (`total_only`) the greedy of allocate.greedy answers, exactly;
    HiGHS everywhere else. `warm`: re-solve on that HiGHS instance from its last basis (see WarmStart)."""
    if total_only(problem):
        allocation = solve_greedy(problem, value_per_euro)
        if allocation is not None:
            return allocation
    return solve_highs(problem, value_per_euro, time_limit=time_limit, warm=warm)


def solve_highs(
    problem: AllocationProblem, value_per_euro: np.ndarray | None = None, *, time_limit: float = 60.0, warm: WarmStart | None = None
) -> Allocation:
    """`solve` by HiGHS whatever the problem (the greedy's tests compare the two)."""
    lp = build(problem, value_per_euro)
    highs, seconds = run_highs(lp, time_limit=time_limit, warm=warm)
    status = highs.getModelStatus()
    if warm is not None and status != highspy.HighsModelStatus.kOptimal and not is_infeasible(highs):  # nothing proven: start afresh
        warm.forget()
        highs, more = run_highs(lp, time_limit=time_limit, warm=warm)
        seconds += more
        status = highs.getModelStatus()
    n, b = problem.n_segments, len(problem.bound_min)
    if is_infeasible(highs):
        empty = np.full(n, np.nan)
        return Allocation("infeasible", empty, np.nan, empty, np.nan, np.full(b, np.nan), seconds)
    if status != highspy.HighsModelStatus.kOptimal:
        reason = highs.modelStatusToString(status)
        if status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit, highspy.HighsModelStatus.kInterrupt):
            return Allocation(f"stopped: {reason}", np.full(n, np.nan), np.nan, np.full(n, np.nan), np.nan, np.full(b, np.nan), seconds)
        raise SolverError(f"HiGHS could not solve the allocation ({reason}); rerun with a simpler policy or report this as a bug")
    solution = highs.getSolution()
    x = np.asarray(solution.col_value)[: n * lp.pieces_per_segment]
    spend = np.maximum(x.reshape(n, lp.pieces_per_segment).sum(1), 0.0)
    # we minimise −margin: a row dual y means one more unit of the row's limit changes −margin by y
    shadow = -np.asarray(solution.row_dual)
    return Allocation(
        status="optimal",
        spend=spend,
        objective=-float(highs.getInfo().objective_function_value),
        segment_dual=shadow[:n],
        total_dual=float(shadow[n]),
        bound_dual=shadow[n + 1 : n + 1 + b],
        seconds=seconds,
        solver=SOLVER_NAME,
        target_dual=shadow[n + 1 + b : n + 1 + b + len(problem.targets.rows) if problem.targets is not None else n + 1 + b],
    )
