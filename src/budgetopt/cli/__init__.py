"""The `budgetopt` command: every click command, option and terminal table, one module per family.

- `main`: the group, its exit codes and its help;
- `planning`: plan (also --ledger, --accounts), decide, demo;
- `ledger`: ingest, enable, history;
- `simulation`: simulate, sweep;
- `whatif`: whatif;
- `options`, `tables`: what the commands share.

Commands call only the public API (`budgetopt.api`); an import-linter contract keeps it so.
"""

from budgetopt.cli import ledger, planning, simulation, whatif  # noqa: F401  (each registers its commands on `main`)
from budgetopt.cli.main import main

__all__ = ["main"]
