"""The sweep file: validated like every input (one table row per rule), and its points."""

from __future__ import annotations

import re

import pytest

from budgetopt.cli import main
from budgetopt.errors import InputError
from budgetopt.scale.grid import load_grid

from .conftest import write_grid

SWEEP = '[sweep]\nscenarios = ["tiny.toml"]\nreps = 2\n'

BAD_GRIDS = [
    ("no [sweep]", '[grid.segments]\nexploration = [0.1]\n', r"\[sweep\]: required key is missing"),
    ("misspelt sweep key", SWEEP + "rep = 3\n", r"\[sweep\] rep: unknown key \(did you mean 'reps'\?\)"),
    ("zero reps", '[sweep]\nscenarios = ["tiny.toml"]\nreps = 0\n', r"\[sweep\] reps: .*greater than or equal to 1, got 0"),
    ("no scenario", "[sweep]\nscenarios = []\n", r"\[sweep\] scenarios: .*at least 1 item"),
    ("missing scenario file", '[sweep]\nscenarios = ["nowhere.toml"]\n', r"\[sweep\] scenarios #1: no scenario file at .*nowhere\.toml; paths are relative to the grid file"),
    ("a scenario twice", '[sweep]\nscenarios = ["tiny.toml", "./tiny.toml"]\n', r"\[sweep\] scenarios #2: another scenario is already named 'tiny' \(#1\)"),
    ("misspelt setting", SWEEP + "[grid.segments]\nexplorations = [0.1]\n", r"\[grid\.segments\] explorations: unknown key \(did you mean 'exploration'\?\)"),
    ("misspelt section", SWEEP + "[grid.segment]\nexploration = [0.1]\n", r"\[grid\] segment: unknown key \(did you mean 'segments'\?\)"),
    ("setting without section", SWEEP + "[grid]\nexploration = [0.1]\n", r"\[grid\] exploration: unknown key \(a policy key goes under its section: \[grid\.segments\] exploration = \[\.\.\.\]\)"),
    ("bounds", SWEEP + "[[grid.bounds]]\nmin = 1.0\n", r"\[grid\] bounds: unknown key \(\[\[bounds\]\] cannot be swept"),
    ("not a list", SWEEP + "[grid.segments]\nexploration = 0.1\n", r"\[grid\.segments\] exploration: give a list of the values to try, e\.g\. exploration = \[a, b\], got 0\.1"),
    ("empty list", SWEEP + "[grid.segments]\nexploration = []\n", r"\[grid\.segments\] exploration: give a list of the values to try"),
    ("a bad value", SWEEP + "[grid.segments]\nexploration = [0.1, 1.5]\n",
     r"\[grid\.segments\] exploration #2: Input should be less than or equal to 1, got 1\.5$"),
    ("a bad word", SWEEP + '[grid.estimate]\npooling = ["none", "cluster"]\n', r"\[grid\.estimate\] pooling #2: Input should be .*got 'cluster'$"),
    ("a bad list", SWEEP + "[grid.estimate]\nconversion_lag = [[], [0.8, 0.5]]\n", r"\[grid\.estimate\] conversion_lag #2: shares must not decrease"),
    ("a bad combination", SWEEP + "[grid.budget]\nmin_total = [0.0, 800.0]\ndaily_total = [1000.0, 500.0]\n",
     r"\[grid\] the point min_total = 800, daily_total = 500 on scenario tiny: \[budget\]: min_total \(800\) is above daily_total \(500\); lower min_total or raise daily_total$"),
    ("bad scenario override", SWEEP + "days = 0\n", r"\[sweep\] days: .*greater than or equal to 1, got 0"),
    ("a boolean for a number", SWEEP + "[grid.budget]\ndaily_total = [1000.0, true]\n", r"\[grid\.budget\] daily_total #2: expected a number, got a boolean \(true\)$"),
    ("boolean reps", '[sweep]\nscenarios = ["tiny.toml"]\nreps = true\n', r"\[sweep\] reps: expected a number, got a boolean \(true\)$"),
]


@pytest.mark.parametrize(("text", "pattern"), [pytest.param(*case[1:], id=case[0]) for case in BAD_GRIDS])
def test_a_bad_grid_names_the_file_and_the_key(tmp_path, tiny_scenario, text, pattern):
    path = write_grid(tmp_path / "grid.toml", text)
    with pytest.raises(InputError) as caught:
        load_grid(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert re.search(pattern, str(caught.value)), str(caught.value)


def test_a_value_is_judged_with_the_grids_other_values_not_the_scenarios(tmp_path, tiny_scenario):
    tiny_scenario.write_text(tiny_scenario.read_text().replace("daily_total = 900.0", "daily_total = 900.0\nmin_total = 700.0"))
    # daily_total = 600 is below the scenario's min_total, but the grid sets min_total too
    grid = load_grid(write_grid(tmp_path / "grid.toml", SWEEP + "[grid.budget]\nmin_total = [0.0, 100.0]\ndaily_total = [600.0, 900.0]\n"))
    assert [p.scenario.policy.budget.min_total for p in grid.points] == [0.0, 0.0, 100.0, 100.0]


def test_a_bad_scenario_in_a_grid_is_reported_by_the_scenario_file(tmp_path, tiny_scenario):
    tiny_scenario.write_text(tiny_scenario.read_text().replace("basket_cv", "basket_vc"))
    with pytest.raises(InputError, match=rf"{re.escape(str(tiny_scenario))}: \[world\] basket_vc: unknown key \(did you mean 'basket_cv'\?\)"):
        load_grid(write_grid(tmp_path / "grid.toml", SWEEP))


def test_points_cross_scenarios_with_every_combination_in_file_order(tmp_path, tiny_scenario):
    (tmp_path / "other.toml").write_text(tiny_scenario.read_text().replace("seed = 11", "seed = 12"))
    grid = load_grid(write_grid(tmp_path / "grid.toml", """
[sweep]
scenarios = ["tiny.toml", "other.toml"]
reps = 3
days = 4
[grid.decide]
disable_below_p_best = [0.01, 0.05]
[grid.estimate]
half_life_days = [7, 14, inf]
"""))
    assert grid.setting_names == ["disable_below_p_best", "half_life_days"]
    assert len(grid.points) == 2 * 2 * 3 and [p.number for p in grid.points] == list(range(1, 13))
    first, last = grid.points[0], grid.points[-1]
    assert first.scenario.name == "tiny" and last.scenario.name == "other"
    assert first.settings == {"disable_below_p_best": 0.01, "half_life_days": 7.0}
    assert grid.points[1].settings == {"disable_below_p_best": 0.01, "half_life_days": 14.0}
    assert last.settings == {"disable_below_p_best": 0.05, "half_life_days": float("inf")}
    assert last.scenario.policy.decide.disable_below_p_best == 0.05 and last.scenario.policy.estimate.half_life_days == float("inf")
    # the rest of the policy is the scenario's own; days from [sweep], seed from each scenario
    assert first.scenario.policy.budget == load_grid(write_grid(tmp_path / "plain.toml", SWEEP)).points[0].scenario.policy.budget
    assert (first.scenario.days, first.scenario.seed, last.scenario.seed) == (4, 11, 12)
    assert len({p.key for p in grid.points}) == len(grid.points)


def test_a_points_key_depends_on_what_it_computes_not_on_how_it_is_typed(tmp_path, tiny_scenario):
    def keys(text):
        return [p.key for p in load_grid(write_grid(tmp_path / "grid.toml", SWEEP + text)).points]

    base = keys("[grid.estimate]\nhalf_life_days = [7, 14]\n")
    assert keys("[grid.estimate]\nhalf_life_days = [7.0, 14.0]\n") == base  # 7 and 7.0 are the same setting
    assert keys("[grid.estimate]\nhalf_life_days = [14, 7]\n") == base[::-1]
    assert keys("seed = 3\n[grid.estimate]\nhalf_life_days = [7, 14]\n") != base
    tiny_scenario.write_text(tiny_scenario.read_text().replace("basket = 60.0", "basket = 61.0", 1))
    assert keys("[grid.estimate]\nhalf_life_days = [7, 14]\n")[0] != base[0]  # the scenario changed: recompute


def test_sweep_command_with_a_bad_grid_exits_2_with_one_line_and_writes_nothing(runner, tmp_path, tiny_scenario):
    path = write_grid(tmp_path / "grid.toml", SWEEP + "[grid.segments]\nexploration = [0.1, 1.5]\n")
    result = runner.invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"budgetopt: error: {path}: [grid.segments] exploration #2:") and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_the_shipped_sweep_loads():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scenarios" / "sweeps" / "demo.toml"
    grid = load_grid(path)
    assert len(grid.points) == 40 and grid.reps == 10
    assert grid.setting_names == ["exploration", "half_life_days", "disable_below_p_best"]
    assert {p.scenario.name for p in grid.points} == {"demo"}
    assert path.read_text().startswith("#"), "a sweep file starts with a comment saying what it asks"
