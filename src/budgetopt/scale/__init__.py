"""Scale-out: simulations, sweeps and many accounts, run serially, on local processes or on Dask.

- `executors`: where tasks run — serially, on a pool of local processes, or on a Dask cluster
  (a LocalCluster of N workers, or an existing scheduler by address). The one place that knows.
- `bounds`: work that fits the machine (workers per core, memory, days), checked before it starts.
- `grid`: the sweep file (GRID.toml), validated like every input.
- `sweep`: `budgetopt sweep`, resumable, one small file per finished grid point.
- `accounts`: `budgetopt plan --accounts DIR`, one sub-folder per account.
- `options`: --workers / --scheduler, shared by `simulate`, `sweep` and `plan --accounts`.
- `command`: the `sweep` command and the `plan --accounts` table (imports click only, so
  `budgetopt --help` stays fast).

Dask is an optional extra (`pip install 'budgetopt[distributed]'`) and imported only when a
command asks for workers or a scheduler. Nothing here imports it at module level.
"""
