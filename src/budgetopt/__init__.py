"""budgetopt: Bayesian estimates, an LP budget allocator and an A/B decision engine for paid acquisition.

The Python API (see the README's tour); every result is a frozen dataclass holding pandas DataFrames:

    load_log(path) -> DataFrame                      the validated performance log
    load_policy(path) -> Policy                      the validated budget policy
    estimate(log, policy) -> Estimates               every cell's posteriors
    decide(log, policy) -> DecideResult              .decisions: the A/B verdicts (decisions.csv's columns)
    plan(log, policy) -> PlanResult                  .plan, .decisions, .summary: tomorrow's plan
    write_plan_report(result, policy, directory)     the plan as index.html + PNG figures; returns the index path
    write_decisions_report(decisions, policy, directory)

`plan`, `decide` and `estimate` here are functions; their modules stay importable with
`from budgetopt.plan import make_plan` and the like. matplotlib is imported only when a report is written.
"""

from typing import Any

from budgetopt.api import DecideResult, decide, estimate, plan
from budgetopt.config import Policy, load_policy
from budgetopt.data import load_log
from budgetopt.errors import (
    BudgetoptError,
    InfeasiblePolicyError,
    InputError,
    SolverError,
)
from budgetopt.plan import PlanResult, make_plan

_REPORTS = ("write_decisions_report", "write_plan_report")

__all__ = [
    "BudgetoptError", "DecideResult", "InfeasiblePolicyError", "InputError", "PlanResult", "Policy", "SolverError",
    "decide", "estimate", "load_log", "load_policy", "make_plan", "plan", "write_decisions_report", "write_plan_report",
]


def __getattr__(name: str) -> Any:
    # the report writers import matplotlib: load them on first use so `import budgetopt` stays fast
    if name in _REPORTS:
        from budgetopt.report import plan_report

        return getattr(plan_report, name)
    raise AttributeError(f"module 'budgetopt' has no attribute {name!r}")
