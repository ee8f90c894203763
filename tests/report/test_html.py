"""report.html: escaped text everywhere, numbers formatted and right-aligned, sections in a stable order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from budgetopt.errors import OutputError
from budgetopt.report.html import Figure, Section, render_page, write_report

PNG = b"\x89PNG\r\n\x1a\nnot really a picture"


def test_bullets_and_paragraphs_are_escaped():
    page = render_page("<t>", [Section("<h>", paragraphs=("a < b & c",), bullets=("<script>x</script>", "=1+1"))])
    assert "<title>&lt;t&gt;</title>" in page and "<h2>&lt;h&gt;</h2>" in page
    assert "<p>a &lt; b &amp; c</p>" in page
    assert "<ul><li>&lt;script&gt;x&lt;/script&gt;</li><li>=1+1</li></ul>" in page
    assert "<script>" not in page


def test_table_cells_are_numbers_or_escaped_text():
    frame = pd.DataFrame({"name": ["<b>x</b>"], "visits": np.array([12345], dtype=np.int64), "spend": [1234.5], "flag": [True]})
    page = render_page("t", [Section("s", table=frame)])
    assert '<th class="text">name</th><th>visits</th><th>spend</th><th>flag</th>' in page
    assert '<td class="text">&lt;b&gt;x&lt;/b&gt;</td><td>12,345</td><td>1,234.50</td><td class="text">True</td>' in page


def test_figures_follow_the_table_unless_asked_to_lead():
    figure = (Figure("f.png", PNG, "the caption"),)
    frame = pd.DataFrame({"a": [1]})
    default = render_page("t", [Section("s", table=frame, figures=figure)])
    leading = render_page("t", [Section("s", table=frame, figures=figure, figures_first=True)])
    assert default.index("<table>") < default.index("<figure>")
    assert leading.index("<figure>") < leading.index("<table>")
    assert "<figcaption>the caption</figcaption>" in leading


def test_a_report_rewritten_in_place_drops_the_figures_it_no_longer_draws(tmp_path):
    three = [Section("s", figures=tuple(Figure(f"creatives_{k:02d}.png", PNG) for k in (1, 2, 3)))]
    write_report(tmp_path, "t", three)
    (tmp_path / "notes.png").write_bytes(PNG)  # the user's own file
    with pytest.raises(OutputError, match=r"holds files budgetopt did not write \(notes\.png\).*--force"):
        write_report(tmp_path, "t", [Section("s", figures=(Figure("creatives_01.png", PNG),))])
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["creatives_01.png", "creatives_02.png", "creatives_03.png", "notes.png"]
    write_report(tmp_path, "t", [Section("s", figures=(Figure("creatives_01.png", PNG),))], force=True)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["creatives_01.png", "notes.png"]
    assert (tmp_path / "index.html").is_file()
