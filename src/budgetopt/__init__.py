"""budgetopt: Bayesian estimates, an LP budget allocator and an A/B decision engine for paid acquisition."""

from budgetopt.config import Policy, load_policy
from budgetopt.data import load_log
from budgetopt.errors import BudgetoptError, InfeasiblePolicyError, InputError, SolverError
from budgetopt.plan import PlanResult, make_plan

__all__ = [
    "BudgetoptError", "InfeasiblePolicyError", "InputError", "PlanResult", "Policy", "SolverError",
    "load_log", "load_policy", "make_plan",
]
