"""Our own format's fast read (numbers parsed by pandas' C parser) gives exactly what the exact reader
gives, and steps aside whenever the file is not plain."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt.data import read as read_module
from budgetopt.data import read_log
from budgetopt.data.demo import demo_path
from budgetopt.data.text import own_format_fast


def exact(path, monkeypatch, **kwargs) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(read_module, "own_format_fast", lambda path: None)
        return read_log(path, **kwargs).log


def test_the_demo_log_reads_the_same_both_ways(monkeypatch):
    path = demo_path("demo_log.csv")
    assert own_format_fast(path) is not None
    pd.testing.assert_frame_equal(read_log(path).log, exact(path, monkeypatch), check_exact=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(0, 1e6, allow_nan=False), st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=30))
def test_any_plain_numbers_read_the_same_both_ways(tmp_path_factory, monkeypatch, rows):
    lines = ["date,campaign,segment,creative,spend,visits,conversions,revenue", "2026-02-01,c0,s0,k0,1.5,3,1,20"]
    for i, (spend, visits, revenue) in enumerate(rows):
        lines.append(f"2026-01-{1 + i % 28:02d},c{i % 3}, s{i % 2} ,k{i},{spend!r},{visits},{visits // 3},{revenue:.6g}")
    path = tmp_path_factory.mktemp("fast") / "log.csv"
    path.write_text("\n".join(lines) + "\n")
    assert own_format_fast(path) is not None
    pd.testing.assert_frame_equal(read_log(path, sum_duplicates=True).log, exact(path, monkeypatch, sum_duplicates=True), check_exact=True)


@pytest.mark.parametrize(
    "body",
    [
        'date,campaign,segment,creative,spend,visits,conversions,revenue\n2026-01-01,"a, b",s,k,1,1,0,0\n',  # quotes
        "date,campaign,segment,creative,spend,visits,conversions,revenue\n2026-01-01,a,s,k,1,1,0,0\n\n2026-01-02,a,s,k,1,1,0,0\n",  # blank line
        "date,campaign,segment,creative,spend,visits,conversions,revenue\n2026-01-01,a,s,k,1 000,1,0,0\n",  # not a number
        "date,campaign,segment,creative,spend,visits,conversions,revenue,\n2026-01-01,a,s,k,1,1,0,0,\n",  # trailing separator
        "Day,Campaign,Ad group,Ad,Cost,Clicks,Conversions,Conv. value\n2026-01-01,a,s,k,1,1,0,0\n",  # an export
        "date;campaign;segment;creative;spend;visits;conversions;revenue\n2026-01-01;a;s;k;1,5;1;0;0\n",  # semicolons
    ],
    ids=["quotes", "blank line", "not a number", "trailing separator", "an export", "semicolons"],
)
def test_anything_not_plain_goes_to_the_exact_reader(tmp_path, body):
    path = tmp_path / "log.csv"
    path.write_text(body)
    assert own_format_fast(path) is None


def test_line_numbers_in_errors_are_the_files(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("date,campaign,segment,creative,spend,visits,conversions,revenue\n2026-01-01,a,s,k,1,1,0,0\n2026-01-02,a,s,k,-5,1,0,0\n")
    assert own_format_fast(path) is not None
    with pytest.raises(Exception, match=r"row 2 \(line 3\), column 'spend'"):
        read_log(path)
