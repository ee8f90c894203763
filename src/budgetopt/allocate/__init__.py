"""The allocation LP: segment budgets that maximise expected gross margin under the policy."""

from budgetopt.allocate.curves import SegmentCurves
from budgetopt.allocate.explain import (
    binding_constraints,
    describe_binding,
    diagnose,
    segment_limiter,
)
from budgetopt.allocate.guardrails import Guard, Pins, guard_for
from budgetopt.allocate.problem import (
    AllocationProblem,
    bound_coefficients,
    policy_limits,
    policy_problem,
    segment_limits,
)
from budgetopt.allocate.solve import Allocation, Binding, WarmStart, solve

__all__ = [
    "Allocation", "AllocationProblem", "Binding", "Guard", "Pins", "guard_for", "SegmentCurves", "binding_constraints", "describe_binding",
    "bound_coefficients", "diagnose", "policy_limits", "policy_problem", "segment_limiter", "segment_limits",
    "solve", "WarmStart",
]
