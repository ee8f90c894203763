"""`budgetopt simulate`: exit codes, the files of --report, one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from budgetopt.cli import main
from budgetopt.simulate.metrics import DAILY_COLUMNS, METRIC_COLUMNS

from .conftest import SMALL


def write_scenario(path: Path, data: dict) -> Path:
    """A scenario dict as TOML (the small subset of TOML the fixture needs)."""

    def value(v):
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, float) and v == float("inf"):
            return "inf"
        return repr(v)

    def table(name, items):
        return [f"[{name}]"] + [f"{k} = {value(v)}" for k, v in items.items()]

    lines = table("world", data["world"])
    for section, items in data["policy"].items():
        lines += table(f"policy.{section}", items)
    for array in ("segments", "cells", "events"):
        for item in data.get(array, []):
            lines += [f"[[{array}]]"] + [f"{k} = {value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n")
    assert tomllib.loads(path.read_text()) == {k: v for k, v in data.items() if v != []}
    return path


def test_simulate_writes_the_report(runner, tmp_path):
    scenario = write_scenario(tmp_path / "small.toml", SMALL)
    out = tmp_path / "report"
    result = runner.invoke(main, ["simulate", str(scenario), "--days", "3", "--reps", "2", "--policies", "even,rules", "--report", str(out)])
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns) == METRIC_COLUMNS
    assert metrics["policy"].tolist() == ["even", "rules", "oracle"]
    assert metrics.loc[metrics["policy"] == "oracle", "share_of_oracle"].item() == pytest.approx(1.0)
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns) == DAILY_COLUMNS and len(daily) == 3 * 3
    for name in ("index.html", "allocation.csv", "cumulative_margin.png", "regret.png", "allocation_rules.png"):
        assert (out / name).stat().st_size > 0, name
    page = (out / "index.html").read_text()
    assert "share_of_oracle" in page and "data:image/png;base64," in page
    assert "oracle" in result.output and "of oracle" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policies", "bandit"], "--policies: unknown policy 'bandit'"),
        (["--reps", "0"], "--reps must be at least 1"),
        (["--days", "0"], "--days must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_one_line(runner, tmp_path, args, message):
    scenario = write_scenario(tmp_path / "small.toml", SMALL)
    result = runner.invoke(main, ["simulate", str(scenario), *args])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_a_bad_scenario_exits_2_with_one_line_and_writes_nothing(runner, tmp_path):
    data = {**SMALL, "cells": [{**SMALL["cells"][0], "colour": "red"}, *SMALL["cells"][1:]]}
    scenario = write_scenario(tmp_path / "bad.toml", data)
    out = tmp_path / "report"
    result = runner.invoke(main, ["simulate", str(scenario), "--report", str(out)])
    assert result.exit_code == 2
    assert result.output == f"budgetopt: error: {scenario}: [[cells]] #1 colour: unknown key (known keys: campaign, segment, creative, conversion_rate, cost_per_visit, basket)\n"
    assert not out.exists()
