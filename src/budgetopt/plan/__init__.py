"""One day's plan: estimate → decide → allocate (`day`), and what it reads and writes (`files`). The API calls
`plan_day`; the simulator calls `plan_budgets`, its core."""

from budgetopt.plan.day import (
    MAX_CV,
    DayPlan,
    Solvers,
    build_problem,
    day_rng,
    estimates_from_log,
    fit_history,
    optimistic_value,
    plan_budgets,
    plan_day,
)
from budgetopt.plan.files import (
    DECISION_COLUMNS,
    PLAN_COLUMNS,
    PLAN_MONEY,
    SUMMARY_MONEY,
    MarginDraws,
    PlanResult,
    decisions_table,
    plan_for_file,
    read_performance_log,
    summary_for_file,
    summary_for_plan_file,
)

__all__ = [
    "DECISION_COLUMNS",
    "DayPlan",
    "MAX_CV",
    "MarginDraws",
    "PLAN_COLUMNS",
    "PLAN_MONEY",
    "PlanResult",
    "SUMMARY_MONEY",
    "Solvers",
    "build_problem",
    "day_rng",
    "decisions_table",
    "estimates_from_log",
    "fit_history",
    "optimistic_value",
    "plan_budgets",
    "plan_day",
    "plan_for_file",
    "read_performance_log",
    "summary_for_file",
    "summary_for_plan_file",
]
