"""What a proposed split would earn beside the plan, on the same posterior draws: tomorrow's split (day) or
the split of a budget period's days left (period)."""

from budgetopt.whatif.day import DRAWS, Distribution, WhatIf, compare
from budgetopt.whatif.period import PeriodWhatIf, compare_period

__all__ = ["DRAWS", "Distribution", "PeriodWhatIf", "WhatIf", "compare", "compare_period"]
