"""The public API: every job of the `budgetopt` command as a function. The CLI calls only these.

| function | what it does |
|---|---|
| load_log(path) / load_policy(path) | read and validate a performance log / a budget policy |
| fit_estimates(log, policy) | every cell's posteriors (`Estimates`) |
| make_decisions(log, policy) | the A/B verdicts (`DecideResult`), as `budgetopt decide` |
| make_plan(log, policy) | tomorrow's plan (`PlanResult`), as `budgetopt plan` |
| compare_split(log, policy, split) | a proposed split against the plan (`WhatIf`), as `budgetopt whatif` |
| ingest_log / plan_with_ledger / enable_creatives / plan_history | the daily loop on a ledger file |
| approve_changes / override_plan / changes_history | approval with memory: approvals, overrides, planned vs approved vs delivered |
| simulate_scenario(scenario) | replay a scenario under every policy (`Simulation`), as `budgetopt simulate` |
| load_sweep / sweep_grid | tune settings by simulation, as `budgetopt sweep` |
| check_simulation / check_sweep / check_workers | refuse, before any work, what would not fit the machine's memory or cores |
| plan_accounts(directory) | many accounts at once, as `budgetopt plan --accounts` |
| make_changes(result, policy) | what a plan changes in the account (`Changes`), as `budgetopt plan --changes DIR` |
| write_plan_outputs / write_decisions_outputs / write_simulation_report / write_what_if | the files each writes |

Without `rng`, draws are seeded with DEFAULT_SEED, the CLI's `--seed` default: the API and the CLI
give the same numbers for the same inputs. A seed is taken with the plan's date (`day_rng`): the same log,
date and seed give the same plan, and each morning's plan draws afresh.
"""

from typing import Any

from budgetopt.allocate.explain import binding_in_words, money
from budgetopt.api.changes import make_changes
from budgetopt.api.inputs import (
    as_date,
    as_log,
    as_policy,
    read_performance_log,
)
from budgetopt.api.ledger import (
    LedgerPlan,
    approve_changes,
    changes_history,
    enable_creatives,
    ingest_log,
    override_plan,
    plan_from_ledger,
    plan_history,
    plan_with_ledger,
)
from budgetopt.api.planning import (
    DecideResult,
    check_plan_outputs,
    check_run_outputs,
    compare_split,
    fit_estimates,
    make_decisions,
    make_plan,
    write_decisions_outputs,
    write_plan_outputs,
    write_what_if,
)
from budgetopt.changes import Changes
from budgetopt.config import DEFAULT_SEED, Policy, load_policy
from budgetopt.data import LoadedLog, load_column_map, load_log
from budgetopt.data.demo import demo_path
from budgetopt.estimate.dispersion import noisy_days_in_words
from budgetopt.ledger import DEFAULT_WAIT
from budgetopt.ledger.history import HISTORY_MONEY, SPEND_TOLERANCE
from budgetopt.outputs import check_outputs, claim_report_dir
from budgetopt.outputs import write_csv as write_table
from budgetopt.plan import PlanResult, day_rng
from budgetopt.whatif import PeriodWhatIf, WhatIf

#: what the simulator and the scaled jobs need is imported on first use: `budgetopt --help` and
#: `budgetopt plan` do not pay for scipy.optimize, the simulator and the executors
_LAZY = {
    "Simulation": "budgetopt.api.scaled",
    "check_simulation": "budgetopt.api.scaled",
    "check_sweep": "budgetopt.api.scaled",
    "load_sweep": "budgetopt.api.scaled",
    "open_executor": "budgetopt.api.scaled",
    "plan_accounts": "budgetopt.api.scaled",
    "simulate_scenario": "budgetopt.api.scaled",
    "sweep_grid": "budgetopt.api.scaled",
    "sweep_todo": "budgetopt.api.scaled",
    "write_simulation_report": "budgetopt.api.scaled",
    "AccountStatus": "budgetopt.scale.accounts",
    "find_accounts": "budgetopt.scale.accounts",
    "check_workers": "budgetopt.scale.bounds",
    "best_points": "budgetopt.scale.sweep",
    "parse_policies": "budgetopt.simulate.policies",
    "load_scenario": "budgetopt.simulate.scenario",
    "ACCOUNTS_TABLE": "budgetopt.scale.accounts",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'budgetopt.api' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), "SUMMARY_TABLE" if name == "ACCOUNTS_TABLE" else name)

__all__ = [
    "ACCOUNTS_TABLE", "Changes", "LoadedLog", "load_column_map", "AccountStatus", "DEFAULT_SEED", "DEFAULT_WAIT", "HISTORY_MONEY", "SPEND_TOLERANCE", "DecideResult", "LedgerPlan", "PlanResult", "Policy", "Simulation", "WhatIf", "PeriodWhatIf",
    "approve_changes", "as_date", "changes_history", "check_outputs", "override_plan", "check_plan_outputs", "check_run_outputs", "check_simulation", "check_sweep", "check_workers", "claim_report_dir", "best_points", "load_scenario", "parse_policies", "binding_in_words", "money", "noisy_days_in_words", "as_log", "as_policy", "day_rng", "compare_split", "demo_path", "find_accounts", "enable_creatives", "fit_estimates", "ingest_log",
    "load_log", "load_policy", "make_changes", "read_performance_log", "load_sweep", "make_decisions", "make_plan", "open_executor", "plan_accounts",
    "plan_from_ledger", "plan_history", "plan_with_ledger", "simulate_scenario", "sweep_grid", "sweep_todo",
    "write_decisions_outputs", "write_plan_outputs", "write_simulation_report", "write_table", "write_what_if",
]
