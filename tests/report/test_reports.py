"""The HTML reports: every figure is a PNG beside index.html and embedded in it, nothing is loaded from
outside, every section is there, and names from ad platforms are escaped."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import budgetopt
from budgetopt.allocate.explain import describe_binding
from budgetopt.allocate.solve import Binding
from budgetopt.cli import main
from budgetopt.config import policy_from_dict
from budgetopt.data.demo import demo_path
from budgetopt.report.plan_report import write_decisions_report, write_plan_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEMO_SEGMENTS = 8


@pytest.fixture(scope="module")
def demo():
    policy = budgetopt.load_policy(demo_path("demo_policy.toml"))
    return budgetopt.make_plan(demo_path("demo_log.csv"), policy), policy


def check_self_contained(index: Path) -> str:
    """Every PNG beside index.html is a PNG embedded in it, and the page references nothing outside itself."""
    page = index.read_text(encoding="utf-8")
    pngs = sorted(index.parent.glob("*.png"))
    assert pngs, "the report has no figures"
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE), png.name
        assert base64.b64encode(data).decode("ascii") in page, f"{png.name} is not embedded"
    tags = re.findall(r"<[^>]*>", page)  # names are escaped, so a raw "<" only starts the page's own tags
    assert not [t for t in tags if re.match(r"<\s*(script|link|iframe|object|embed|base|meta\s+http-equiv)\b", t, re.IGNORECASE)]
    attributes = [a for t in tags for a in re.findall(r"""\b(src|href|srcset|action|poster|data)\s*=\s*["']?([^"'\s>]*)""", t, re.IGNORECASE)]
    assert {name.lower() for name, _ in attributes} <= {"src"}
    sources = [value for _, value in attributes]
    assert len(sources) == len(pngs)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    style = page[page.index("<style>") : page.index("</style>")].lower()
    assert "url(" not in style and "@import" not in style
    assert "http://" not in page.lower() and "https://" not in page.lower()
    return page


def test_plan_report_shows_every_section_with_its_figures(demo, tmp_path):
    result, policy = demo
    index = write_plan_report(result, policy, tmp_path / "report")
    assert index == tmp_path / "report" / "index.html"
    page = check_self_contained(index)
    names = {p.name for p in index.parent.glob("*.png")}
    assert {"spend_by_campaign.png", "spend_by_segment.png", "expected_margin.png"} <= names
    assert len([n for n in names if n.startswith("creatives_")]) == DEMO_SEGMENTS
    summary = result.summary
    for title in ("At a glance", "Spend by campaign, yesterday → tomorrow", "Spend by segment, yesterday → tomorrow",
                  "What limits the plan", "Expected gross margin"):
        assert f"<h2>{html.escape(title)}</h2>" in page
    for s in summary["segments"]:
        assert html.escape(f"Creatives in {s['campaign']} / {s['segment']}") in page
        assert html.escape(s["limited_by"]) in page
    # the binding constraints in the words the terminal uses, and the margin with its interval
    worth_saying = [b for b in summary["binding"] if abs(b["shadow_price"]) >= 0.005]
    assert worth_saying
    for b in worth_saying:
        assert f"<li>{html.escape(describe_binding(Binding(**b), 'EUR'))}</li>" in page
    for key in ("expected_margin", "margin_p05", "margin_p95"):
        assert f"{summary[key]:,.2f} EUR" in page
    # every creative's verdict and interval are in its segment's table
    for row in result.decisions.itertuples():
        assert f"{row.cvr_mean:.2%} ({row.cvr_p05:.2%} to {row.cvr_p95:.2%})" in page


def test_decisions_report_shows_each_segments_creatives(demo, tmp_path):
    result, policy = demo
    page = check_self_contained(write_decisions_report(result.decisions, policy, tmp_path))
    assert len(list(tmp_path.glob("creatives_*.png"))) == DEMO_SEGMENTS
    assert "1 disabled by the decision engine" in page and "1 paused by you" in page
    for row in result.decisions.itertuples():
        assert html.escape(row.reason) in page


HOSTILE = {
    "campaign": ["<script>alert('x')</script>", "=HYPERLINK(\"evil\",\"click\")"],
    "segment": ["+cmd|' /C calc'!A0", "<b>bold</b> & co"],
    "creative": ["$\\undefinedmacro{1}$", "@SUM(1+1)*cmd", "a$b", "<img src=x onerror=alert(1)>"],
}


def hostile_log() -> pd.DataFrame:
    """Ten days of a small account whose names are all hostile: HTML, formulas, mathtext."""
    rng = np.random.default_rng(3)
    rows = []
    for day in pd.date_range("2026-03-01", periods=10):
        for c, campaign in enumerate(HOSTILE["campaign"]):
            segment = HOSTILE["segment"][c]
            for creative in HOSTILE["creative"][2 * c : 2 * c + 2]:
                visits = int(rng.integers(300, 500))
                conversions = int(rng.binomial(visits, 0.03 + 0.01 * c))
                rows.append({
                    "date": f"{day:%Y-%m-%d}", "campaign": campaign, "segment": segment, "creative": creative,
                    "spend": round(visits * 0.5, 2), "visits": visits, "conversions": conversions,
                    "revenue": round(conversions * 60.0, 2),
                })
    return pd.DataFrame(rows)


def test_hostile_names_are_escaped_in_html_and_drawn_as_text(tmp_path):
    policy = policy_from_dict({"budget": {"daily_total": 900.0}, "decide": {"min_visits_before_disable": 100}})
    result = budgetopt.make_plan(hostile_log(), policy)
    for folder, write in (("plan", lambda d: write_plan_report(result, policy, d)),
                          ("decisions", lambda d: write_decisions_report(result.decisions, policy, d))):
        page = check_self_contained(write(tmp_path / folder))
        for names in HOSTILE.values():
            for name in names:
                assert html.escape(name) in page
        for raw in ("<script>", "<b>bold", "<img src=x"):
            assert raw not in page


def test_the_plan_report_lists_the_warnings_escaped(tmp_path):
    """A shared step of a hostile-named campaign: the warning summary.json gives is in the report, its name escaped."""
    log = hostile_log()
    log = pd.concat([log.assign(date=pd.to_datetime(log["date"]) + pd.Timedelta(days=10 * k)) for k in range(3)], ignore_index=True)
    late = log["date"] >= "2026-03-21"
    log.loc[late, "conversions"] = (log.loc[late, "conversions"] * 0.5).round()
    policy = policy_from_dict({"budget": {"daily_total": 900.0}})
    result = budgetopt.make_plan(log, policy)
    assert any("the whole account converts ×0." in w for w in result.summary["warnings"])
    page = check_self_contained(write_plan_report(result, policy, tmp_path / "plan"))
    assert "<h2>What to check</h2>" in page
    for warning in result.summary["warnings"]:
        assert f"<li>{html.escape(warning)}</li>" in page


def test_cli_plan_and_decide_write_reports_after_their_outputs(runner, demo_log, demo_policy, tmp_path):
    out, report = tmp_path / "plan.csv", tmp_path / "plan-report"
    result = runner.invoke(main, ["plan", str(demo_log), "--policy", str(demo_policy), "--out", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    check_self_contained(report / "index.html")
    result = runner.invoke(main, ["decide", str(demo_log), "--policy", str(demo_policy), "--report", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    check_self_contained(tmp_path / "d" / "index.html")


@pytest.mark.parametrize("command", ["plan", "decide"])
def test_bad_input_writes_no_report(runner, demo_log, tmp_path, command):
    policy = tmp_path / "policy.toml"
    policy.write_text("[budget]\ndaily_totl = 5\n", encoding="utf-8")
    report = tmp_path / "report"
    result = runner.invoke(main, [command, str(demo_log), "--policy", str(policy), "--report", str(report)])
    assert result.exit_code == 2
    assert "did you mean 'daily_total'" in result.output
    assert not report.exists()


def test_demo_writes_its_report_into_its_folder_and_says_so(runner, tmp_path):
    result = runner.invoke(main, ["demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    index = tmp_path / "out" / "report" / "index.html"
    check_self_contained(index)
    said = "".join(result.output.split())  # the terminal may wrap long paths
    assert f"report:open{index}inabrowser" in said


def test_large_accounts_draw_the_largest_segments_and_table_the_rest(demo, tmp_path, monkeypatch):
    from budgetopt.report import plan_report

    monkeypatch.setattr(plan_report, "MAX_SEGMENT_FIGURES", 2)
    monkeypatch.setattr(plan_report, "MAX_SEGMENT_BARS", 3)
    result, policy = demo
    page = check_self_contained(write_plan_report(result, policy, tmp_path))
    assert sorted(p.name for p in tmp_path.glob("creatives_*.png")) == ["creatives_01.png", "creatives_02.png"]
    assert f"the other {DEMO_SEGMENTS - 2} have their table only" in page
    # the spend and margin figures draw the 3 segments at each end (raised most / cut most), the rest counted
    assert f"the 3 segments raised most and the 3 cut most, of {DEMO_SEGMENTS} (plan.csv has them all)" in page
    assert f"the 3 largest expected margins and the 3 smallest that are not zero, of {DEMO_SEGMENTS}" in page
    assert page.count("<h2>Creatives in ") == DEMO_SEGMENTS
    largest = max(result.summary["segments"], key=lambda s: s["after"])
    first = page.index("<h2>Creatives in ")
    assert page[first:].startswith(f"<h2>Creatives in {html.escape(largest['campaign'])} / {html.escape(largest['segment'])}</h2>")
