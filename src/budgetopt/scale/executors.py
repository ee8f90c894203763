"""Where tasks run: serially, on a pool of local processes, or on a Dask cluster — in one place.

Every executor runs `fn(*args)` for each task and yields a `Done` (the task's index, its value
or its error) as tasks finish, in whatever order they finish. Callers put results back in
task order, so what they compute never depends on the executor: a task carries everything it
needs (its seed included), and the same task gives the same value in any process.

At most `window` tasks are handed out at once (by default twice the number of task slots), and
more are taken from the task iterable only as earlier ones finish: a sweep of a million tasks
does not pickle a million arguments up front, tasks finish roughly in the order given (so a
resumable caller loses at most the tasks in flight), and an interrupted run stops quickly.

`open_executor(workers, scheduler)` chooses, as the CLI's `--workers N` / `--scheduler ADDR` ask:
- neither (workers = 1): serially, in this process; Dask is not imported;
- `--workers N`: a Dask LocalCluster of N worker processes (one thread each: the work is Python
  and numpy, which a second thread per process would only slow down), on 127.0.0.1; without
  Dask, the standard library's pool of N local processes, and the executor's `note` says so;
- `--scheduler tcp://HOST:PORT`: the Dask cluster at that address (its workers need budgetopt
  installed, the same version); without Dask, serially, and the `note` says so.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from typing import Any, Self

from budgetopt.errors import InputError
from budgetopt.scale.bounds import check_workers

#: seconds to wait for a scheduler to answer, and then for it to have at least one worker
CONNECT_TIMEOUT = 10.0
WORKERS_TIMEOUT = 30.0
#: modules a local worker process imports once, before its first task
PRELOAD = ("budgetopt.simulate.runner", "budgetopt.scale.accounts")
INSTALL_HINT = "pip install 'budgetopt[distributed]'"


@dataclass(frozen=True)
class Done:
    """A finished task: `index` is its place in the task list; `value` or `error`."""

    index: int
    value: Any = None
    error: BaseException | None = None

    def result(self) -> Any:
        """The task's value, or its error raised here."""
        if self.error is not None:
            raise self.error
        return self.value


class Executor:
    """Runs tasks and yields them as they finish; a context manager that releases its workers."""

    #: "serially", "on 2 local processes", "on a Dask LocalCluster of 2 workers", …
    description: str = "serially"
    #: said to the user when the executor is not what they asked for (Dask missing), else None
    note: str | None = None
    #: tasks running at once
    slots: int = 1

    def run(self, fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], *, window: int | None = None) -> Iterator[Done]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every task in this process, in order."""

    def __init__(self, note: str | None = None) -> None:
        self.note = note

    def run(self, fn, tasks, *, window=None):
        for index, args in enumerate(tasks):
            try:
                value = fn(*args)
            except Exception as error:  # noqa: BLE001 — handed to the caller with its index, as the parallel executors do
                yield Done(index, error=error)
            else:
                yield Done(index, value)


def process_context() -> multiprocessing.context.BaseContext:
    """Workers start from a clean process, never a fork of this one (whose solver may hold threads):
    a fork server that has imported the simulator and the planner once (fast starts) where the OS
    has one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


class ProcessExecutor(Executor):
    """A pool of local worker processes (the standard library's; no Dask needed)."""

    def __init__(self, workers: int, note: str | None = None) -> None:
        self.slots = workers
        self.note = note
        self.description = f"on {workers} local processes"
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=process_context())

    def run(self, fn, tasks, *, window=None):
        pending = enumerate(tasks)
        running = {self._pool.submit(fn, *args): index for index, args in islice(pending, window or 2 * self.slots)}
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                error = future.exception()
                yield Done(index, error=error) if error is not None else Done(index, future.result())
                for next_index, args in islice(pending, 1):
                    running[self._pool.submit(fn, *args)] = next_index

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Tasks as Dask futures on a `distributed.Client`. If a worker dies, the scheduler runs its
    tasks again elsewhere (up to Dask's `allowed-failures` times), so a run survives lost workers."""

    def __init__(self, client: Any, description: str = "on Dask", cluster: Any = None, *, owns_client: bool = True) -> None:
        """client: a connected distributed.Client; cluster: a LocalCluster to close with it;
        owns_client=False leaves the client open on close (the caller's, e.g. a notebook's)."""
        self.client = client
        self.description = description
        self._cluster = cluster
        self._owns_client = owns_client
        self.slots = max(1, sum(client.nthreads().values()))

    def run(self, fn, tasks, *, window=None):
        from distributed import as_completed

        pending = enumerate(tasks)
        keys: dict[str, int] = {}

        def submit(index: int, args: Sequence[Any]):
            future = self.client.submit(fn, *args, pure=False)
            keys[future.key] = index
            return future

        # the cluster may have grown since we connected (workers joining late)
        self.slots = max(1, sum(self.client.nthreads().values()))
        queue = as_completed([submit(index, args) for index, args in islice(pending, window or 2 * self.slots)])
        for future in queue:
            index = keys.pop(future.key)
            try:
                value = future.result()
            except Exception as error:  # noqa: BLE001 — the task's error (or KilledWorker), handed to the caller
                yield Done(index, error=error)
            else:
                yield Done(index, value)
            finally:
                future.release()
            for next_index, args in islice(pending, 1):
                queue.add(submit(next_index, args))

    def close(self) -> None:
        if self.client is not None and self._owns_client:
            self.client.close()
        self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def dask_installed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def quiet_dask() -> None:
    """Dask's own log lines (a worker that failed to start, a restarted one, a closed connection, each
    with its traceback) are for debugging: shown only when BUDGETOPT_DEBUG is set. budgetopt says what
    went wrong in its one line."""
    if os.environ.get("BUDGETOPT_DEBUG"):
        return
    names = [name for name in list(logging.Logger.manager.loggerDict) if name.startswith("distributed.")]
    for name in ("distributed", *names):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _local_worker_config() -> dict[str, Any]:
    """Dask settings for our own LocalCluster, whose workers run CPU-bound Python and numpy.

    Two of Dask's defaults cost a simulation task 10–35 % of its time here (benchmarks/bench_sweep.py):
    the statistical profiler (a stack sample every 10 ms, taking the GIL from the task) and the
    nanny's MALLOC_TRIM_THRESHOLD_ (memory handed back to the OS after every 64 KiB freed, so numpy's
    many small arrays keep faulting pages in). Both are off; the one-thread BLAS settings stay."""
    import dask

    environment = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environment.pop("MALLOC_TRIM_THRESHOLD_", None)
    if not os.environ.get("BUDGETOPT_DEBUG"):  # the worker processes' own Dask logs, as quiet as ours (quiet_dask)
        environment["DASK_LOGGING__DISTRIBUTED"] = "critical"
    return {"distributed.worker.profile.enabled": False, "distributed.nanny.pre-spawn-environ": environment}


def local_cluster(workers: int) -> DaskExecutor:
    """A Dask LocalCluster of `workers` processes (one thread each) on the loopback interface."""
    import dask
    from distributed import Client, LocalCluster

    # the scheduler's HTTP endpoint on a free loopback port: None still meant :8787, so a second
    # cluster on the machine (another run, a test beside it) warned and, with warnings as errors, failed
    quiet_dask()
    try:
        with dask.config.set(_local_worker_config()):  # read when the nannies are made; kept for restarted workers
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
            )
    except (OSError, TimeoutError, RuntimeError) as error:  # RuntimeError: "Nanny failed to start."
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"--workers {workers}: could not start a local Dask cluster ({reason}); try fewer workers") from None
    try:
        client = Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return DaskExecutor(client, f"on a Dask LocalCluster of {workers} workers", cluster)


def connect(address: str) -> DaskExecutor:
    """The Dask cluster whose scheduler listens at `address` (e.g. tcp://127.0.0.1:8786)."""
    from distributed import Client

    if "://" not in address:
        raise InputError(f"--scheduler {address!r} is not a scheduler address; give it as tcp://HOST:PORT (what `dask scheduler` prints)")
    quiet_dask()
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(
            f"--scheduler {address}: no Dask scheduler answered within {CONNECT_TIMEOUT:g} s ({error}); "
            "start one with `dask scheduler`, or check the address"
        ) from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except (TimeoutError, OSError):
        client.close()
        raise InputError(
            f"--scheduler {address}: the scheduler has no worker after {WORKERS_TIMEOUT:g} s; start some with `dask worker {address}`"
        ) from None
    workers = len(client.nthreads())
    return DaskExecutor(client, f"on the Dask cluster at {address} ({workers} worker{'s' if workers != 1 else ''})")


def open_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor the CLI's --workers N / --scheduler ADDR ask for (see the module's docstring); N local
    workers must fit the machine (budgetopt.scale.bounds)."""
    if scheduler is None or workers < 1:
        check_workers(workers)
    if scheduler is not None and workers > 1:
        raise InputError("give --workers N (a local cluster) or --scheduler ADDR (an existing one), not both")
    if scheduler is not None:
        if not dask_installed():
            return SerialExecutor(note=f"dask not installed ({INSTALL_HINT}): cannot reach {scheduler}; running serially")
        return connect(scheduler)
    if workers == 1:
        return SerialExecutor()
    if not dask_installed():
        return ProcessExecutor(workers, note=f"dask not installed ({INSTALL_HINT}): running on {workers} local processes")
    return local_cluster(workers)


def local_executor(workers: int = 1) -> Executor:
    """Serially, or a pool of local processes: what the Python API's `workers=` means (no Dask)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    check_workers(workers, "workers")
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
