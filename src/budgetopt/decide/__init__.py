"""A/B decisions within each segment: chance to be best, expected loss, verdicts, shares."""

from budgetopt.decide.chance import chance_to_be_best
from budgetopt.decide.engine import Decisions, decide_creatives
from budgetopt.decide.verdicts import traffic_shares, verdicts

__all__ = ["Decisions", "chance_to_be_best", "decide_creatives", "traffic_shares", "verdicts"]
