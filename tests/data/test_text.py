"""The text reader: its two parsers agree, and it finds separators, headers and lines."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt.data.exports import is_known_header
from budgetopt.data.text import read_table
from budgetopt.errors import InputError

CELLS = st.sampled_from(["date", "spend", "Day", "Cost", "x", "", " ", " a", "b ", "1,5", "\t", "2024-05-01", "é"])


def table_of(path, fast):
    try:
        table = read_table(path, is_known_header, fast=fast)
    except InputError as error:  # the comparison is of outcomes, errors included
        return str(error)
    columns = [[cell.strip() for cell in column] for column in table.columns]
    return table.header, columns, table.lines.tolist(), table.header_line, table.separator


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELLS, max_size=6), min_size=1, max_size=8),
    separator=st.sampled_from([",", ";", "\t"]),
    preamble=st.sampled_from(["", "Report\n", "Report\nMay 1 2024\n\n"]),
)
def test_the_c_parser_and_the_csv_module_read_plain_files_alike(tmp_path, rows, separator, preamble):
    path = tmp_path / "plain.csv"
    path.write_text(preamble + "\n".join(separator.join(row) for row in rows) + "\n", encoding="utf-8")
    assert table_of(path, fast=True) == table_of(path, fast=False)


@pytest.mark.parametrize(
    "text, separator, header_line, lines",
    [
        ("date,spend\n2024-05-01,1\n\n2024-05-02,2\n", ",", 1, [2, 4]),
        ("date;spend\n2024-05-01;1,5\n", ";", 1, [2]),
        ('Report\nMay 1, 2024 - May 2, 2024\nDay\tCost\n"2024-05-01"\t1\n', "\t", 3, [4]),
        ('date,campaign,spend\n2024-05-01,"two\nlines",1\n2024-05-02,c,2\n', ",", 1, [2, 4]),
    ],
    ids=["blank line", "semicolon", "preamble", "quoted newline"],
)
def test_separator_header_and_lines_are_found(tmp_path, text, separator, header_line, lines):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path, is_known_header)
    assert (table.separator, table.header_line, table.lines.tolist()) == (separator, header_line, lines)
    assert all(isinstance(column, np.ndarray) and len(column) == len(lines) for column in table.columns)
