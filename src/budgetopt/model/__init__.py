"""What the estimator, the allocator and the simulator share: how a segment saturates, and sums per segment."""

from budgetopt.model.money import budgets_to_cents, cents_keeping_total
from budgetopt.model.response import saturation_factor
from budgetopt.model.segments import segment_sums

__all__ = ["budgets_to_cents", "cents_keeping_total", "saturation_factor", "segment_sums"]
