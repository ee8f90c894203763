"""budgetopt: Bayesian estimates, an LP budget allocator and an A/B decision engine for paid acquisition.

The Python API (see the README's tour, and `budgetopt.api` for every function); results are frozen
dataclasses holding pandas DataFrames:

    load_log(path) -> DataFrame                      the validated performance log
    load_policy(path) -> Policy                      the validated budget policy
    fit_estimates(log, policy) -> Estimates          every cell's posteriors
    make_decisions(log, policy) -> DecideResult      .decisions: the A/B verdicts (decisions.csv's columns)
    make_plan(log, policy) -> PlanResult             .plan, .decisions, .summary: tomorrow's plan
    compare_split(log, policy, split) -> WhatIf      a proposed split against the plan
    write_plan_report(result, policy, directory)     the plan as index.html + PNG figures; returns the index path
    write_decisions_report(decisions, policy, directory)

Modules are named for what they hold (`budgetopt.plan`, `budgetopt.decide`, `budgetopt.estimate`),
functions for what they do, so no function hides a module. matplotlib is imported only when a
report is written.
"""

from typing import Any

from budgetopt.api import (
    DecideResult,
    PlanResult,
    Policy,
    WhatIf,
    compare_split,
    fit_estimates,
    load_log,
    load_policy,
    make_decisions,
    make_plan,
)
from budgetopt.errors import (
    BudgetoptError,
    InfeasiblePolicyError,
    InputError,
    SolverError,
)

_REPORTS = ("write_decisions_report", "write_plan_report")

__all__ = [
    "BudgetoptError", "DecideResult", "InfeasiblePolicyError", "InputError", "PlanResult", "Policy", "SolverError", "WhatIf",
    "compare_split", "fit_estimates", "load_log", "load_policy", "make_decisions", "make_plan",
    "write_decisions_report", "write_plan_report",
]


def __getattr__(name: str) -> Any:
    # the report writers import matplotlib: load them on first use so `import budgetopt` stays fast
    if name in _REPORTS:
        from budgetopt.report import plan_report

        return getattr(plan_report, name)
    raise AttributeError(f"module 'budgetopt' has no attribute {name!r}")
