"""`python -m budgetopt.cli …` runs the `budgetopt` command."""

from budgetopt.cli import main

main()
