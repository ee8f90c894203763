"""`budgetopt plan --accounts DIR`: every account planned as `plan` would plan it; one account's
bad input is reported for that account and the others are planned all the same."""

from __future__ import annotations

import importlib
import json
import shutil

import pandas as pd
import pytest

from budgetopt.cli import main
from budgetopt.errors import InputError
from budgetopt.scale import accounts
from budgetopt.scale.accounts import ACCOUNT_COLUMNS, account_files


@pytest.fixture
def agency(tmp_path, demo_log, demo_policy):
    """Three accounts: a CSV log, a Parquet log, and a policy with a typo."""
    root = tmp_path / "accounts"
    for name in ("shop-a", "shop-b", "shop-c"):
        (root / name).mkdir(parents=True)
    shutil.copyfile(demo_log, root / "shop-a" / "log.csv")
    shutil.copyfile(demo_policy, root / "shop-a" / "policy.toml")
    pd.read_csv(demo_log).to_parquet(root / "shop-c" / "log.parquet")
    (root / "shop-c" / "policy.toml").write_text(demo_policy.read_text().replace("4200", "3000"))
    shutil.copyfile(demo_log, root / "shop-b" / "log.csv")
    (root / "shop-b" / "policy.toml").write_text("[budget]\ndaily_totl = 100.0\n")
    (root / ".cache").mkdir()  # hidden: not an account
    return root


def test_accounts_are_planned_as_plan_plans_them_and_a_bad_one_stops_none(runner, agency, cluster, tmp_path):
    local, _ = cluster
    result = runner.invoke(main, ["plan", "--accounts", str(agency), "--scheduler", local.scheduler_address, "--seed", "3"])
    assert result.exit_code == 2, result.output
    assert result.stderr == "budgetopt: error: 1 of 3 accounts had bad input (shop-b); the others were planned and written\n"
    assert f"shop-b: bad input: {agency / 'shop-b' / 'policy.toml'}: [budget] daily_total: required key is missing" in result.stdout
    assert sorted(p.name for p in (agency / "shop-b").iterdir()) == ["log.csv", "policy.toml"]  # nothing written for it
    for name in ("shop-a", "shop-c"):
        log = next((agency / name).glob("log.*"))
        alone = tmp_path / f"{name}.csv"
        single = runner.invoke(main, ["plan", str(log), "--policy", str(agency / name / "policy.toml"), "--seed", "3", "--out", str(alone),
                                      "--summary", str(tmp_path / f"{name}.json")])
        assert single.exit_code == 0, single.output
        assert (agency / name / "plan.csv").read_bytes() == alone.read_bytes()
        planned, expected = (json.loads(p.read_text()) for p in (agency / name / "summary.json", tmp_path / f"{name}.json"))
        assert {k: v for k, v in planned.items() if k != "seconds"} == {k: v for k, v in expected.items() if k != "seconds"}
    table = pd.read_csv(agency / "accounts.csv", keep_default_na=False)
    assert list(table.columns) == ACCOUNT_COLUMNS
    assert table["account"].tolist() == ["shop-a", "shop-b", "shop-c"]
    assert table["status"].tolist() == ["planned", "bad input", "planned"]
    assert pd.to_numeric(table["total_spend"]).tolist()[::2] == pytest.approx([4200.0, 3000.0])
    assert table.loc[1, "message"].startswith(str(agency / "shop-b" / "policy.toml"))
    for name in ("shop-a", "shop-b", "shop-c"):
        assert name in result.stdout


def test_all_accounts_planned_exit_0_on_local_workers(runner, agency, tmp_path):
    shutil.rmtree(agency / "shop-b")
    result = runner.invoke(main, ["plan", "--accounts", str(agency), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "wrote plan.csv and summary.json for 2 of 2 accounts" in result.stdout
    assert pd.read_csv(agency / "accounts.csv")["status"].tolist() == ["planned", "planned"]


def test_an_internal_error_in_one_account_exits_1_and_the_others_are_written(runner, agency, monkeypatch):
    plan_module = importlib.import_module("budgetopt.plan")
    real = plan_module.plan_day

    def breaks_on_shop_c(log, policy, **kwargs):
        if policy.budget.daily_total == 3000.0:
            raise RuntimeError("solver exploded")
        return real(log, policy, **kwargs)

    monkeypatch.setattr(plan_module, "plan_day", breaks_on_shop_c)  # serial: the accounts run in this process
    result = runner.invoke(main, ["plan", "--accounts", str(agency)])
    assert result.exit_code == 1
    assert result.stderr.startswith("budgetopt: error: internal error in 1 of 3 accounts (shop-c); rerun with BUDGETOPT_DEBUG=1")
    assert "shop-c: internal error: RuntimeError: solver exploded" in result.stdout
    assert (agency / "shop-a" / "plan.csv").exists() and not (agency / "shop-c" / "plan.csv").exists()


@pytest.mark.parametrize(
    ("files", "default", "message"),
    [
        ([], None, r"no performance log: put it in the folder as log\.csv or log\.parquet"),
        (["log.csv", "log.parquet", "policy.toml"], None, r"holds both log\.csv and log\.parquet; keep the one to plan from"),
        (["log.csv"], None, r"no budget policy: put it in the folder as policy\.toml \(or give plan --policy FILE"),
    ],
)
def test_an_account_folder_needs_one_log_and_a_policy(tmp_path, files, default, message):
    for name in files:
        (tmp_path / name).write_text("")
    with pytest.raises(InputError, match=rf"^{tmp_path}: {message}"):
        account_files(tmp_path, default)


def test_plan_policy_is_the_policy_of_accounts_without_one(tmp_path, demo_policy):
    (tmp_path / "log.csv").write_text("")
    assert account_files(tmp_path, demo_policy) == (tmp_path / "log.csv", demo_policy)
    (tmp_path / "policy.toml").write_text("")
    assert account_files(tmp_path, demo_policy) == (tmp_path / "log.csv", tmp_path / "policy.toml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "{root}", "--out", "plan.csv"], "--accounts plans each account from its own folder and writes its files there; drop --out"),
        (["{root}/shop-a/log.csv", "--accounts", "{root}"], "drop LOG"),
        (["{root}/shop-a/log.csv", "--policy", "{root}/shop-a/policy.toml", "--workers", "2"], "--workers and --scheduler apply to plan --accounts DIR"),
        (["--accounts", "{root}/nowhere"], "--accounts {root}/nowhere: no such folder"),
        (["--accounts", "{root}/shop-b"], "--accounts {root}/shop-b: no account sub-folder"),
    ],
)
def test_accounts_options_that_do_not_go_together_exit_2_and_write_nothing(runner, agency, args, message):
    result = runner.invoke(main, ["plan", *(a.format(root=agency) for a in args)])
    assert result.exit_code == 2
    assert result.stderr.startswith("budgetopt: error: ") and message.format(root=agency) in result.stderr
    assert not list(agency.glob("*/plan.csv")) and not (agency / "accounts.csv").exists()


def test_plan_without_policy_or_accounts_is_still_a_usage_error(runner, demo_log):
    result = runner.invoke(main, ["plan", str(demo_log)])
    assert result.exit_code == 2 and "Missing option '--policy'" in result.output


def test_accounts_module_names_its_files():
    assert accounts.LOG_NAMES == ("log.csv", "log.parquet") and accounts.POLICY_NAME == "policy.toml"


def test_an_account_with_its_own_column_map_and_no_revenue_is_planned(runner, tmp_path):
    """A lead-generation account: a Kaggle-style export read through the folder's columns.toml, conversions
    valued by the policy's value_per_conversion — as `plan LOG --columns MAP` plans it."""
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "data" / "fixtures"
    root = tmp_path / "agency"
    (root / "leads").mkdir(parents=True)
    shutil.copyfile(fixtures / "kaggle_style.csv", root / "leads" / "log.csv")
    shutil.copyfile(fixtures / "kaggle_columns.toml", root / "leads" / "columns.toml")
    (root / "leads" / "policy.toml").write_text(
        '[budget]\ndaily_total = 500.0\ncurrency = "USD"\n[estimate]\nvalue_per_conversion = 20.0\nexposure = "impressions"\n'
    )
    result = runner.invoke(main, ["plan", "--accounts", str(root)])
    assert result.exit_code == 0, result.output
    single = runner.invoke(main, ["plan", str(root / "leads" / "log.csv"), "--policy", str(root / "leads" / "policy.toml"),
                                  "--columns", str(root / "leads" / "columns.toml"), "--out", str(tmp_path / "plan.csv")])
    assert single.exit_code == 0, single.output
    assert (root / "leads" / "plan.csv").read_bytes() == (tmp_path / "plan.csv").read_bytes()
