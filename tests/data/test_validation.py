"""Every validation rule of the performance log, one table row per rule."""

import io
import re

import pandas as pd
import pytest

from budgetopt.data import load_log, validate_log
from budgetopt.errors import InputError

BASE = """\
date,campaign,segment,creative,spend,impressions,visits,conversions,revenue,status
2024-05-01,search,brand,ad-a,100.5,1000,200,10,500.0,active
2024-05-01,search,brand,ad-b,80,900,150,5,250,paused
2024-05-02,search,brand,ad-a,90,1100,210,12,600,
"""


def edit(row=None, drop=(), **values):
    """BASE with data row `row` (1-based) given `values`, and the `drop` columns removed."""
    lines = [line.split(",") for line in BASE.splitlines()]
    header = lines[0]
    for column, value in values.items():
        lines[row][header.index(column)] = value
    keep = [i for i, column in enumerate(header) if column not in drop]
    return "".join(",".join(line[i] for i in keep) + "\n" for line in lines)


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def expect_error(path, pattern, **kwargs):
    with pytest.raises(InputError) as caught:
        load_log(path, **kwargs)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert re.search(pattern, message), message
    return message


IMPRESSIONS = {"exposure": "impressions"}

CASES = [
    ("missing column", edit(drop=("spend",)), {}, r"missing column 'spend'; the log needs date, campaign"),
    ("missing columns", edit(drop=("visits", "revenue")), {}, r"missing columns 'visits', 'revenue'"),
    ("no rows", BASE.splitlines()[0] + "\n", {}, r"no rows"),
    ("bad date", edit(2, date="2024-02-30"), {}, r"row 2 \(line 3\), column 'date': not an ISO date .*'2024-02-30'"),
    ("bad dates", edit(1, date="01/05/2024").replace("2024-05-02", "x"), {}, r"rows 1, 3 \(lines 2, 4\), column 'date'"),
    ("empty campaign", edit(3, campaign=" "), {}, r"row 3 \(line 4\), column 'campaign': empty name"),
    ("empty segment", edit(1, segment=""), {}, r"row 1 \(line 2\), column 'segment': empty name"),
    ("empty creative", edit(2, creative=""), {}, r"row 2 \(line 3\), column 'creative': empty name"),
    ("non-numeric", edit(2, visits="abc"), {}, r"row 2 \(line 3\), column 'visits': not a finite number \(got 'abc'\)"),
    ("non-finite", edit(1, revenue="inf"), {}, r"row 1 \(line 2\), column 'revenue': not a finite number \(got 'inf'\)"),
    ("empty number", edit(3, spend=""), {}, r"row 3 \(line 4\), column 'spend': not a finite number \(got ''\); all of them empty: export them again, "
     r"write 0 only where there truly was none, or drop those rows"),
    ("negative spend", edit(1, spend="-1"), {}, r"row 1 \(line 2\), column 'spend': spend must be ≥ 0"),
    ("negative visits", edit(2, visits="-3"), {}, r"row 2 \(line 3\), column 'visits': visits must be ≥ 0"),
    ("negative conversions", edit(3, conversions="-1"), {}, r"column 'conversions': conversions must be ≥ 0"),
    ("negative revenue", edit(1, revenue="-0.5"), {}, r"column 'revenue': revenue must be ≥ 0"),
    ("negative impressions", edit(2, impressions="-9"), {}, r"row 2 \(line 3\), column 'impressions': impressions must be ≥ 0"),
    ("conversions > visits", edit(1, conversions="201"), {}, r'row 1 \(line 2\), column \'conversions\': conversions exceed visits.*exposure = "impressions"'),
    ("impressions column required", edit(drop=("impressions",)), IMPRESSIONS, r"missing column 'impressions' \(required by \[estimate\] exposure"),
    ("conversions > impressions", edit(3, conversions="1101"), IMPRESSIONS, r"row 3 \(line 4\), column 'conversions': conversions exceed impressions"),
    ("visits > impressions", edit(2, visits="901"), {}, r"row 2 \(line 3\), column 'visits': visits exceed impressions"),
    ("invalid status", edit(1, status="deleted"), {}, r"row 1 \(line 2\), column 'status': must be one of active, paused \(got 'deleted'\)"),
    ("duplicate cell", edit(2, creative="ad-a"), {}, r"rows 1, 2 \(lines 2, 3\): the same date and cell.*--sum-duplicates"),
    # numbers bounded by meaning: 1e12 a row (one cell, one day), never overflow warnings or a solver that cannot solve
    ("absurd spend", edit(1, spend="1e308"), {}, r"row 1 \(line 2\), column 'spend': spend above 1e12 currency in one day of one cell"),
    ("absurd revenue", edit(2, revenue="1e13"), {}, r"row 2 \(line 3\), column 'revenue': revenue above 1e12 currency"),
    ("absurd visits", edit(3, visits="1e300", impressions="1e301"), {},
     r"row 3 \(line 4\), column 'visits': visits above 1e12 visits.*row 3 \(line 4\), column 'impressions': impressions above 1e12"),
    ("absurd conversions", edit(1, conversions="2e12"), IMPRESSIONS | {}, r"column 'conversions': conversions above 1e12 conversions"),
    ("no spend at all", BASE.splitlines()[0] + "\n" + "".join(
        ",".join(v if i != BASE.splitlines()[0].split(",").index("spend") else "0" for i, v in enumerate(line.split(","))) + "\n"
        for line in BASE.splitlines()[1:]), {}, r"the log has no spend at all: budgets cannot be learned from it; export a period with spend$"),
]


@pytest.mark.parametrize("text, kwargs, pattern", [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_invalid_log_is_rejected(tmp_path, text, kwargs, pattern):
    expect_error(write(tmp_path, text), pattern, **kwargs)


@pytest.mark.parametrize(
    "name, text, pattern",
    [
        pytest.param("log.xlsx", BASE, r"unknown file type '\.xlsx'", id="unknown suffix"),
        pytest.param("absent.csv", None, r"file not found", id="missing file"),
        pytest.param("empty.csv", "", r"the file is empty; export the log with a header line", id="empty file"),
    ],
)
def test_unreadable_file_is_rejected(tmp_path, name, text, pattern):
    path = tmp_path / name if text is None else write(tmp_path, text, name)
    expect_error(path, pattern)


def test_several_problems_are_reported_together(tmp_path):
    message = expect_error(write(tmp_path, edit(1, date="x").replace(",ad-b,", ",,")), r"column 'date'")
    assert "column 'creative'" in message


def test_line_number_counts_blank_lines(tmp_path):
    text = BASE.replace("\n2024-05-02", "\n\n2024-05-02")
    expect_error(write(tmp_path, text.replace(",90,", ",-90,")), r"row 3 \(line 5\), column 'spend'")


def test_parquet_error_gives_row_without_line(tmp_path):
    frame = pd.read_csv(io.StringIO(BASE))
    frame["date"] = pd.to_datetime(frame["date"])
    frame.loc[1, "spend"] = -5.0
    path = tmp_path / "log.parquet"
    frame.to_parquet(path)
    message = expect_error(path, r"row 2, column 'spend': spend must be ≥ 0")
    assert "line" not in message


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_valid_log_loads_with_canonical_dtypes(tmp_path, suffix):
    path = tmp_path / f"log{suffix}"
    if suffix == ".csv":
        path.write_text(BASE, encoding="utf-8")
    else:
        pd.read_csv(io.StringIO(BASE)).to_parquet(path)
    frame = load_log(path)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-01", "2024-05-01", "2024-05-02"]
    for column in ("spend", "impressions", "visits", "conversions", "revenue"):
        assert frame[column].dtype == "float64", column
    for column in ("campaign", "segment", "creative", "status"):
        assert pd.api.types.is_string_dtype(frame[column]), column
        assert all(isinstance(value, str) for value in frame[column]), column
    assert frame["creative"].tolist() == ["ad-a", "ad-b", "ad-a"]
    assert frame["status"].tolist() == ["active", "paused", "active"]


def test_status_column_defaults_to_active(tmp_path):
    frame = load_log(write(tmp_path, edit(drop=("status",))))
    assert frame["status"].tolist() == ["active"] * 3


def test_impressions_exposure_allows_conversions_above_visits(tmp_path):
    frame = load_log(write(tmp_path, edit(1, conversions="300")), exposure="impressions")
    assert frame["conversions"].tolist() == [300.0, 5.0, 12.0]


def test_sum_duplicates_adds_up_rows_of_the_same_cell(tmp_path):
    frame = load_log(write(tmp_path, edit(2, creative="ad-a")), sum_duplicates=True)
    assert len(frame) == 2
    first = frame.iloc[0]
    assert (first["date"], first["creative"]) == (pd.Timestamp("2024-05-01"), "ad-a")
    sums = {"spend": 180.5, "impressions": 1900.0, "visits": 350.0, "conversions": 15.0, "revenue": 750.0}
    assert {column: first[column] for column in sums} == pytest.approx(sums)
    assert frame.iloc[1][list(sums)].tolist() == [90.0, 1100.0, 210.0, 12.0, 600.0]


# --- files that crashed the reader (issue 14) ---------------------------------------------------


def french_excel(text):
    """`text` as Excel in French saves it: semicolons, decimal commas."""
    return "\n".join(line.replace(",", ";").replace(".", ",") for line in text.splitlines()) + "\n"


@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no BOM", "BOM"])
def test_french_excel_export_loads_like_the_comma_file(tmp_path, bom):
    path = tmp_path / "log.csv"
    path.write_text(bom + french_excel(BASE), encoding="utf-8")
    pd.testing.assert_frame_equal(load_log(path), load_log(write(tmp_path, BASE, "base.csv")))


@pytest.mark.parametrize("header_too", [False, True], ids=["data lines", "every line"])
def test_trailing_comma_on_every_line_is_dropped(tmp_path, header_too):
    lines = BASE.splitlines()
    text = "".join((line + "," if header_too or i else line) + "\n" for i, line in enumerate(lines))
    pd.testing.assert_frame_equal(load_log(write(tmp_path, text)), load_log(write(tmp_path, BASE, "base.csv")))


def test_extra_value_without_date_column_names_the_row(tmp_path):
    text = edit(drop=("date",)).replace(",paused\n", ",paused,extra\n")
    expect_error(write(tmp_path, text), r"row 2 \(line 3\): more values than the header has columns \(the header has 9, row 2 has 10\)")


def test_decimal_commas_in_a_comma_file_say_to_use_semicolons(tmp_path):
    expect_error(write(tmp_path, BASE.replace(",100.5,", ",100,5,")), r"row 1 \(line 2\): more values.*separate the columns with ';'")


def test_two_headers_differing_in_case_are_named(tmp_path):
    text = BASE.replace("status\n", "Spend\n").replace(",active\n", ",7\n").replace(",paused\n", ",8\n").replace(",\n", ",9\n")
    expect_error(write(tmp_path, text), r"columns 'spend' \(column 5\) and 'Spend' \(column 10\) both read as spend")


def test_line_numbers_stay_right_after_a_quoted_newline(tmp_path):
    text = BASE.replace(",search,brand,ad-a,100.5,", ',"spring\nsale",brand,ad-a,100.5,').replace(",90,", ",-90,")
    expect_error(write(tmp_path, text), r"row 3 \(line 5\), column 'spend'")


@pytest.mark.parametrize(
    "text",
    [BASE, BASE.replace("\n", "\r\n"), edit(drop=("status", "impressions")), BASE.upper().replace("ACTIVE", "active").replace("PAUSED", "paused")],
    ids=["base", "CRLF", "required only", "upper-case headers"],
)
def test_our_format_loads_as_pandas_read_it(tmp_path, text):
    """The reader before issue 14 was pandas' read_csv then validate_log; our own files must load identically."""
    path = write(tmp_path, text)
    before = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    pd.testing.assert_frame_equal(load_log(path), validate_log(before), check_exact=True)


def test_demo_log_loads_as_pandas_read_it(demo_log):
    before = validate_log(pd.read_csv(demo_log, dtype=str, keep_default_na=False, skipinitialspace=True))
    after = load_log(demo_log)
    pd.testing.assert_frame_equal(after, before, check_exact=True)
    assert list(after.columns) == ["date", "campaign", "segment", "creative", "spend", "visits", "conversions", "revenue", "impressions", "status"]
