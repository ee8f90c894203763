"""The policy TOML: defaults from DESIGN, and one table row per validation error."""

import math
import re
import tomllib
from operator import attrgetter

import pytest

from budgetopt.config import load_policy, policy_from_dict
from budgetopt.errors import InputError

MINIMAL = "[budget]\ndaily_total = 5000.0\n"

DEFAULTS = [
    ("budget.min_total", 0.0),
    ("budget.currency", "EUR"),
    ("budget.margin_rate", 1.0),
    ("budget.max_daily_change", 0.30),
    ("bounds", ()),
    ("segments.min_spend", 0.0),
    ("segments.max_spend", math.inf),
    ("segments.exploration", 0.05),
    ("segments.optimism", 0.5),
    ("estimate.half_life_days", "auto"),
    ("estimate.wear_out", True),
    ("estimate.pooling", "segment"),
    ("estimate.prior_alpha", 1.0),
    ("estimate.prior_beta", 1.0),
    ("estimate.exposure", "visits"),
    ("estimate.conversion_lag", ()),
    ("decide.metric", "margin_per_euro"),
    ("decide.disable_below_p_best", 0.01),
    ("decide.min_visits_before_disable", 300),
    ("decide.winner_expected_loss", 0.002),
    ("decide.min_share", 0.05),
    ("decide.retest_after_days", None),
    ("decide.challenger_p_best", 0.25),
]


def write(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("key, expected", DEFAULTS, ids=[key for key, _ in DEFAULTS])
def test_default_when_only_daily_total_is_given(tmp_path, key, expected):
    policy = load_policy(write(tmp_path, MINIMAL))
    assert policy.budget.daily_total == 5000.0
    assert attrgetter(key)(policy) == expected


def test_policy_from_dict_matches_load_policy(tmp_path):
    assert policy_from_dict(tomllib.loads(MINIMAL)) == load_policy(write(tmp_path, MINIMAL))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", r'half_life_days: must be a positive number of days, inf, or "auto", got 0$'),
        ("-3", r'half_life_days: must be a positive number of days, inf, or "auto", got -3$'),
        ("true", r"half_life_days: expected a number, got a boolean \(true\)$"),
        ('"weekly"', r'half_life_days: must be a positive number of days, inf, or "auto", got \'weekly\'$'),
    ],
)
def test_a_half_life_is_a_positive_number_or_auto(tmp_path, value, message):
    with pytest.raises(InputError, match=message):  # one message, not one per member of the union
        load_policy(write(tmp_path, MINIMAL + f"[estimate]\nhalf_life_days = {value}\n"))


def test_infinite_half_life_is_accepted(tmp_path):
    policy = load_policy(write(tmp_path, MINIMAL + "[estimate]\nhalf_life_days = inf\n"))
    assert math.isinf(policy.estimate.half_life_days)


def test_a_period_replaces_the_daily_total(tmp_path):
    policy = load_policy(write(tmp_path, "[budget]\nperiod_total = 90000\nperiod_start = 2026-12-01\nperiod_end = \"2026-12-31\"\n"))
    assert policy.budget.daily_total is None and policy.budget.has_period
    assert (policy.budget.period_end - policy.budget.period_start).days == 30


ERRORS = [
    ("missing daily_total", '[budget]\ncurrency = "EUR"\n', r"\[budget\] daily_total: required key is missing$"),
    ("period_start alone", "[budget]\nperiod_start = 2026-12-01\n", r"daily_total: required key is missing; \[budget\]: a period needs period_total"),
    ("half a period", "[budget]\nperiod_total = 90000\nperiod_start = 2026-12-01\n", r"\[budget\]: a period needs period_total, period_start and period_end together"),
    ("period backwards", "[budget]\nperiod_total = 9e4\nperiod_start = 2026-12-31\nperiod_end = 2026-12-01\n", r"\[budget\]: period_end \(2026-12-01\) is before period_start"),
    ("not a date", "[budget]\nperiod_total = 9e4\nperiod_start = \"soon\"\nperiod_end = 2026-12-31\n", r"\[budget\] period_start: .*got 'soon'"),
    ("unknown objective", MINIMAL + 'objective = "profit"\n', r"\[budget\] objective: .*got 'profit'"),
    ("overdelivery below 1", MINIMAL + "overdelivery = 0.5\n", r"\[budget\] overdelivery: .*greater than or equal to 1"),
    ("negative risk aversion", MINIMAL + "risk_aversion = -1\n", r"\[budget\] risk_aversion: .*greater than or equal to 0"),
    ("boolean target", MINIMAL + "[targets]\nmin_roas = true\n", r"\[targets\] min_roas: expected a number, got a boolean \(true\)$"),
    ("zero cpa", MINIMAL + "[targets]\nmax_cpa = 0\n", r"\[targets\] max_cpa: .*greater than 0"),
    ("misspelt target", MINIMAL + "[targets]\nmin_rosa = 3\n", r"\[targets\] min_rosa: unknown key \(did you mean 'min_roas'\?\)"),
    ("campaign target without roas", MINIMAL + '[[targets.campaigns]]\ncampaign = "brand"\n', r"\[\[targets\.campaigns\]\] #1 min_roas: required key is missing"),
    ("campaign target typo", MINIMAL + '[[targets.campaigns]]\ncampaign = "b"\nmin_roa = 2\n', r"\[\[targets\.campaigns\]\] #1 min_roa: unknown key \(did you mean 'min_roas'\?\)"),
    ("misspelt key", "[budget]\ndaily_totl = 5000\n", r"\[budget\] daily_totl: unknown key \(did you mean 'daily_total'\?\)"),
    ("unknown section", MINIMAL + "[segmnts]\nmin_spend = 1\n", r"\[segmnts\]: unknown key \(did you mean 'segments'\?\)"),
    ("negative daily_total", "[budget]\ndaily_total = -5\n", r"\[budget\] daily_total: .*greater than 0, got -5"),
    ("min_total above daily_total", "[budget]\ndaily_total = 100\nmin_total = 200\n", r"\[budget\]: min_total \(200\) is above daily_total \(100\)"),
    ("bound min above max", MINIMAL + '[[bounds]]\nsegment = "a"\nmin = 50\nmax = 10\n', r"\[\[bounds\]\] #1: min \(50\) is above max \(10\)"),
    ("segment min above max", MINIMAL + "[segments]\nmin_spend = 300\nmax_spend = 200\n", r"\[segments\]: min_spend \(300\) is above max_spend \(200\)"),
    ("exploration above 1", MINIMAL + "[segments]\nexploration = 1.5\n", r"\[segments\] exploration: .*less than or equal to 1"),
    ("unknown pooling", MINIMAL + '[estimate]\npooling = "cluster"\n', r"\[estimate\] pooling: .*got 'cluster'"),
    ("unknown exposure", MINIMAL + '[estimate]\nexposure = "clicks"\n', r"\[estimate\] exposure: .*got 'clicks'"),
    ("decreasing lag", MINIMAL + "[estimate]\nconversion_lag = [0.8, 0.5]\n", r"\[estimate\] conversion_lag: shares must not decrease"),
    ("lag above 1", MINIMAL + "[estimate]\nconversion_lag = [0.5, 1.2]\n", r"\[estimate\] conversion_lag: every share must be in \(0, 1\]"),
    # a boolean is not a number (pydantic alone would read true as 1), nor is nan; inf only where it means something
    ("boolean daily_total", "[budget]\ndaily_total = true\n", r"policy\.toml: \[budget\] daily_total: expected a number, got a boolean \(true\)$"),
    # and a boolean is a boolean: pydantic alone would read "yes" or 1 as true
    ("text for a boolean", MINIMAL + '[estimate]\nweekday = "yes"\n', r"\[estimate\] weekday: Input should be a valid boolean, got 'yes'$"),
    ("number for a boolean", MINIMAL + "[estimate]\nwear_out = 1\n", r"\[estimate\] wear_out: Input should be a valid boolean, got 1$"),
    ("boolean min_total", MINIMAL + "min_total = true\n", r"\[budget\] min_total: expected a number, got a boolean \(true\)$"),
    ("boolean max_daily_change", MINIMAL + "max_daily_change = false\n", r"\[budget\] max_daily_change: expected a number, got a boolean \(false\)$"),
    ("boolean in a list", MINIMAL + "[estimate]\nconversion_lag = [0.5, true]\n", r"\[estimate\] conversion_lag\.1: expected a number, got a boolean"),
    ("boolean bound", MINIMAL + '[[bounds]]\ncampaign = "c"\nmax = true\n', r"\[\[bounds\]\] #1 max: expected a number, got a boolean \(true\)$"),
    ("nan", "[budget]\ndaily_total = nan\n", r"\[budget\] daily_total: expected a finite number, got nan$"),
    ("inf without a meaning", "[budget]\ndaily_total = inf\n", r"\[budget\] daily_total: expected a finite number, got inf$"),
    ("minus inf", MINIMAL + "max_daily_change = -inf\n", r"\[budget\] max_daily_change: expected a number or inf, got -inf$"),
    ("absurd budget", "[budget]\ndaily_total = 1e300\n", r"\[budget\] daily_total: expected a number of at most 1e12, beyond any real account, got 1e\+300$"),
    ("absurd cap", MINIMAL + "[segments]\nmax_spend = 1e13\n", r"\[segments\] max_spend: expected a number of at most 1e12 \(or inf\)"),
    ("inf visits", MINIMAL + "[decide]\nmin_visits_before_disable = inf\n", r"\[decide\] min_visits_before_disable: expected a finite number, got inf$"),
]


@pytest.mark.parametrize("text, pattern", [pytest.param(*case[1:], id=case[0]) for case in ERRORS])
def test_invalid_policy_is_rejected(tmp_path, text, pattern):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert re.search(pattern, message), message
    with pytest.raises(InputError) as from_dict:
        policy_from_dict(tomllib.loads(text))
    assert str(from_dict.value) == message.replace(str(path), "policy", 1)


@pytest.mark.parametrize(
    "text, key, expected",
    [
        ("[budget]\ndaily_total = 5000\n", "budget.daily_total", 5000.0),  # an int for a float key is fine
        (MINIMAL + "max_daily_change = inf\n", "budget.max_daily_change", math.inf),  # "inf = no limit"
        (MINIMAL + "[segments]\nmax_spend = inf\n", "segments.max_spend", math.inf),  # inf is its default: no cap
        (MINIMAL + '[[bounds]]\ncampaign = "c"\nmax = inf\n', "bounds", None),
    ],
)
def test_numbers_are_taken_where_they_mean_something(tmp_path, text, key, expected):
    policy = load_policy(write(tmp_path, text))
    if expected is not None:
        assert attrgetter(key)(policy) == expected
        assert type(attrgetter(key)(policy)) is float


@pytest.mark.parametrize(
    "text, pattern",
    [
        pytest.param("[budget\ndaily_total = 5000\n", r"not valid TOML", id="bad syntax"),
        pytest.param(None, r"file not found", id="missing file"),
    ],
)
def test_unreadable_policy_is_rejected(tmp_path, text, pattern):
    path = tmp_path / "policy.toml" if text is None else write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert re.search(pattern, str(caught.value))


def test_the_readme_policy_reference_is_the_models_own():
    from pathlib import Path

    from budgetopt.config import policy_reference

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert policy_reference().strip() in readme
