"""Executors: every task once, with its index, errors handed back; the choice --workers / --scheduler make."""

from __future__ import annotations

import sys

import pytest

from budgetopt.errors import InputError
from budgetopt.scale import executors
from budgetopt.scale.executors import ProcessExecutor, SerialExecutor, open_executor

TASKS = [(7, 2), (9, 0), (10, 3), (5, 5), (1, 4)]  # divmod; (9, 0) fails


def check_every_task_once(executor) -> None:
    seen = {}
    for done in executor.run(divmod, iter(TASKS), window=2):
        assert done.index not in seen
        seen[done.index] = done
    assert sorted(seen) == list(range(len(TASKS)))
    for index, (a, b) in enumerate(TASKS):
        if b == 0:
            assert isinstance(seen[index].error, ZeroDivisionError)
            with pytest.raises(ZeroDivisionError):
                seen[index].result()
        else:
            assert seen[index].result() == divmod(a, b)


def test_serial_executor_runs_every_task_once_and_hands_back_errors():
    with SerialExecutor() as executor:
        check_every_task_once(executor)


def test_process_executor_runs_every_task_once_and_hands_back_errors():
    with ProcessExecutor(2) as executor:
        check_every_task_once(executor)


def test_dask_executor_runs_every_task_once_and_hands_back_errors(dask_executor):
    assert dask_executor.slots == 2
    check_every_task_once(dask_executor)


def test_one_worker_and_no_scheduler_is_serial_and_imports_no_dask(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    executor = open_executor(1, None)
    assert isinstance(executor, SerialExecutor) and executor.note is None


def test_without_dask_workers_run_on_local_processes_and_a_scheduler_serially_and_say_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with open_executor(2, None) as executor:
        assert isinstance(executor, ProcessExecutor)
        assert executor.note == "dask not installed (pip install 'budgetopt[distributed]'): running on 2 local processes"
    executor = open_executor(1, "tcp://127.0.0.1:8786")
    assert isinstance(executor, SerialExecutor)
    assert executor.note == "dask not installed (pip install 'budgetopt[distributed]'): cannot reach tcp://127.0.0.1:8786; running serially"


@pytest.mark.parametrize(
    ("workers", "scheduler", "message"),
    [
        (0, None, "--workers must be at least 1, got 0"),
        (2, "tcp://127.0.0.1:8786", "give --workers N (a local cluster) or --scheduler ADDR (an existing one), not both"),
        (1, "127.0.0.1:8786", "--scheduler '127.0.0.1:8786' is not a scheduler address; give it as tcp://HOST:PORT"),
    ],
)
def test_bad_executor_options_are_input_errors(workers, scheduler, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_executor(workers, scheduler)


def test_a_scheduler_that_does_not_answer_is_bad_input(monkeypatch):
    import socket

    pytest.importorskip("distributed", reason="needs dask[distributed], part of the [test] extra")

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 0.5)
    with pytest.raises(InputError, match=rf"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered within 0.5 s"):
        open_executor(1, f"tcp://127.0.0.1:{port}")


def test_a_scheduler_address_connects_to_its_cluster(cluster):
    local, _ = cluster
    with open_executor(1, local.scheduler_address) as executor:
        assert executor.description == f"on the Dask cluster at {local.scheduler_address} (2 workers)"
        assert [done.result() for done in executor.run(divmod, [(9, 4)])] == [(2, 1)]
