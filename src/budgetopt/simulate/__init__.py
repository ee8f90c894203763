"""Scenario worlds that reveal outcomes day by day, with the truth beside the observations."""
