"""Outputs a person reads (issue 14): figures and tables built from data shaped like the cases that were
unreadable on a real 700-ad account — 700 segments, conversion rates near 1e-5, one value 1000× the
rest, 17 segments in an allocation, sweep values 0.03 % apart — keep their tick labels distinct and
apart, their axes on the bulk of the data (the outlier marked and written), their rows and table rows
capped with a note saying how many are left out and where they all are."""

from __future__ import annotations

import html
import re
from itertools import combinations
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from budgetopt.config import policy_from_dict
from budgetopt.report import figures, plan_report, simulation, sweep
from budgetopt.report.html import Excerpt, Section, excerpt, figure_png, render_page
from budgetopt.report.scales import (
    DistinctFormatter,
    bulk_range,
    rate_text,
    top_and_bottom,
)

N_SEGMENTS = 700
OUTLIER = 1000.0  # × the rest


# ------------------------------------------------------------------ data shaped like the bad cases


def account(n: int = N_SEGMENTS, seed: int = 14) -> SimpleNamespace:
    """A plan for an account of `n` segments of 1–3 creatives, conversions per impression near 1e-5,
    one segment's expected margin 1000× the others', long names and a `$` in some."""
    rng = np.random.default_rng(seed)
    campaigns = [f"campaign {c} — prospecting, lookalikes and broad audiences $5" for c in range(3)]
    segments, plan, decisions = [], [], []
    for s in range(n):
        campaign, segment = campaigns[s % 3], f"ad set {s:04d} women 25-34 interests {'x' * (s % 40)}"
        before = float(rng.lognormal(2.5, 1.0))
        after = 0.0 if s % 5 == 0 else before * float(rng.uniform(0.7, 1.3))
        segments.append({"campaign": campaign, "segment": segment, "before": before, "after": after, "limited_by": "its 30 % change limit"})
        k = 1 + s % 3
        margin = (OUTLIER * 50.0 if s == 7 else float(rng.uniform(-20, 50))) / k
        for c in range(k):
            cvr = float(rng.uniform(0.5e-5, 3e-5))
            plan.append({"campaign": campaign, "segment": segment, "creative": f"ad {s}-{c}", "share": 1.0 / k, "spend": after / k,
                         "expected_margin": margin})
            decisions.append({
                "date": "2026-03-01", "campaign": campaign, "segment": segment, "creative": f"ad {s}-{c}", "verdict": "keep",
                "visits": float(rng.integers(1_000, 90_000)), "conversions": float(rng.integers(0, 5)),
                "cvr_mean": cvr, "cvr_p05": cvr * 0.4, "cvr_p95": cvr * 2.2,
                "metric_mean": margin / 100, "metric_p05": margin / 100 - 1, "metric_p95": margin / 100 + 1,
                "p_best": 1.0 / k, "reason": "still testing",
            })
    total = sum(s["after"] for s in segments)
    summary = {
        "currency": "USD", "date": "2026-03-02", "segments": segments, "total_spend": total, "expected_margin": 60_000.0,
        "margin_p05": 40_000.0, "margin_p95": 90_000.0, "exploration": 0.05, "solver": "HiGHS", "status": "optimal", "seconds": 0.5,
        "binding": [{"constraint": f"segment {s}: max_daily_change", "shadow_price": 50.0 - s / 20} for s in range(n // 2)],
    }
    return SimpleNamespace(summary=summary, plan=pd.DataFrame(plan), decisions=pd.DataFrame(decisions))


def segments_frame(result: SimpleNamespace) -> pd.DataFrame:
    return pd.DataFrame(result.summary["segments"])


def creatives_with_rates(n: int = 6, *, outlier: bool = False) -> pd.DataFrame:
    """One segment's creatives converting about 1 in 100,000 impressions; with `outlier`, one creative's
    margin per euro 1000× the others'."""
    cvr = np.linspace(0.8e-5, 2.4e-5, n)
    metric = np.linspace(0.2, 0.9, n)
    if outlier:
        metric[2] = metric.max() * OUTLIER
    return pd.DataFrame({
        "creative": [f"creative {i}" for i in range(n)], "cvr_mean": cvr, "cvr_p05": cvr * 0.5, "cvr_p95": cvr * 1.8,
        "metric_mean": metric, "metric_p05": metric - 0.3, "metric_p95": metric + 0.3,
        "p_best": np.full(n, 1.0 / n), "verdict": ["keep"] * n,
    })


def simulation_tables(n_segments: int = 17, days: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """daily.csv and allocation.csv of a run over `n_segments` segments, the policies' bands ~1 % wide."""
    rng = np.random.default_rng(5)
    policies = {"budgetopt": 950.0, "even": 700.0, "rules": 760.0, "oracle": 1000.0}
    daily, allocation = [], []
    day = np.arange(7, 7 + days)
    for name, rate in policies.items():
        cumulative = rate * (day - 6)
        spread = 0.0 if name == "oracle" else 0.01 * cumulative
        regret = (policies["oracle"] - rate) * (day - 6)
        daily.append(pd.DataFrame({
            "policy": name, "day": day, "cumulative_margin_mean": cumulative, "cumulative_margin_p05": cumulative - spread,
            "cumulative_margin_p95": cumulative + spread, "cumulative_regret_mean": regret,
            "cumulative_regret_p05": regret - spread, "cumulative_regret_p95": regret + spread,
        }))
        weights = rng.dirichlet(np.ones(n_segments))
        for d in day:
            for s in range(n_segments):
                allocation.append({"policy": name, "day": d, "campaign": f"campaign-{s % 4}", "segment": f"segment-{s:02d}",
                                   "spend_mean": 1000 * weights[s], "share_mean": weights[s]})
    return pd.concat(daily, ignore_index=True), pd.DataFrame(allocation)


def sweep_table(spread: float = 0.0003) -> pd.DataFrame:
    """sweep.csv of 2 × 3 × 2 points whose margins differ by at most `spread` (0.03 %), each with a
    replication interval of ±1 % of the margin."""
    rows = []
    grid = [(e, h, d) for e in (0.0, 0.05) for h in (7, 14, 21) for d in (0.01, 0.1)]
    best = 100_000.0
    for point, (e, h, d) in enumerate(grid, start=1):
        margin = best * (1 - spread * point / len(grid)) if point > 1 else best
        diff = margin - best
        rows.append({"point": point, "scenario": "demo", "exploration": e, "half_life_days": h, "disable_below_p_best": d,
                     "margin_mean": margin, "vs_best_mean": diff, "vs_best_p05": diff - 0.01 * best if point > 1 else 0.0,
                     "vs_best_p95": diff + 0.01 * best if point > 1 else 0.0, "share_of_oracle": 0.95, "currency": "EUR"})
    table = pd.DataFrame(rows)
    table["rank"] = table["margin_mean"].rank(ascending=False, method="min").astype(int)
    return table


# ------------------------------------------------------------------ what a reader sees


def tick_texts(axis) -> list[str]:
    """The labels of the ticks drawn inside the axis' limits, as they are drawn."""
    axis.figure.draw_without_rendering()
    low, high = sorted(axis.get_view_interval())
    return [t.label1.get_text() for t in axis.get_major_ticks() if low - 1e-12 <= t.get_loc() <= high + 1e-12 and t.label1.get_visible()]


def assert_no_overlap(texts) -> None:
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts if t.get_text() and t.get_visible()]
    clashes = [(a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if box_a.overlaps(box_b)]
    assert not clashes, clashes[:3]


def every_axis_readable(figure: Figure) -> None:
    """On every axis of every panel: tick labels that all differ, and that do not overlap."""
    figure.draw_without_rendering()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            texts = [t for t in tick_texts(axis) if t]
            assert len(texts) == len(set(texts)), texts
            drawn = [t.label1 for t in axis.get_major_ticks() if t.label1.get_text() in texts]
            assert_no_overlap(drawn)


def annotations(figure: Figure) -> list[str]:
    return [t.get_text() for ax in figure.axes for t in ax.texts]


# ------------------------------------------------------------------ the helpers


def test_distinct_formatter_writes_enough_decimals_for_every_tick_to_differ():
    percent = DistinctFormatter(100.0, " %")
    assert percent.format_ticks([0.0, 1e-5, 2e-5, 3e-5]) == ["0.000 %", "0.001 %", "0.002 %", "0.003 %"]
    assert percent.format_ticks([0.0, 0.01, 0.02]) == ["0 %", "1 %", "2 %"]
    assert DistinctFormatter(sign=True).format_ticks([-2000.0, 0.0, 2000.0]) == ["-2,000", "0", "+2,000"]
    assert rate_text(0.0312) == "3.12%" and rate_text(2.5e-5) == "0.0025%" and rate_text(8.3e-6) == "0.00083%"


def test_the_bulk_leaves_out_a_far_outlier_and_nothing_else():
    rng = np.random.default_rng(1)
    assert bulk_range([1.0, 1.2, 0.9, 1.1, OUTLIER]) == (0.9, 1.2)
    assert bulk_range(np.r_[rng.normal(1, 0.2, 28), OUTLIER, -OUTLIER], include=[0.0])[1] < 2
    # a heavy tail is not an outlier: a real account's budgets (KAG export, yesterday) are all kept
    budgets = [224, 164, 120, 104, 81, 69, 62, 58, 40, 26, 23, 21, 20, 19, 17, 16, 15, 14, 13, 12, 11]
    assert bulk_range(budgets, include=[0.0]) == (0.0, 224.0)
    assert bulk_range(rng.lognormal(0, 1.5, N_SEGMENTS))[1] > 20


def test_top_and_bottom_keeps_short_tables_whole_and_cuts_long_ones_at_both_ends():
    frame = pd.DataFrame({"a": range(40)})
    assert top_and_bottom(frame, "a", 20)[0] is frame
    rows, left_out = top_and_bottom(frame, "a", 5)
    assert list(rows["a"]) == [39, 38, 37, 36, 35, 4, 3, 2, 1, 0] and left_out == 30


# ------------------------------------------------------------------ the plan's figures


def test_a_700_segment_spend_figure_draws_the_ends_and_says_how_many_more():
    segs = segments_frame(account())
    figure = figures.spend_by_segment(segs, "USD")
    ax = figure.axes[0]
    assert len(ax.patches) == 2 * 2 * figures.MAX_ROWS  # a before and an after bar per drawn row
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert f"… and {N_SEGMENTS - 2 * figures.MAX_ROWS} more segments (see plan.csv)" in labels
    assert figure.get_size_inches()[1] < 16  # its height follows the rows drawn, not the account
    every_axis_readable(figure)
    assert all(len(label) <= figures.MAX_LABEL + 1 for label in labels if not label.startswith("…"))  # +1: "\$"
    change = segs["after"] - segs["before"]
    drawn = figure.axes[0].get_yticklabels()[0].get_text()
    assert drawn.split(" / ")[1].startswith(segs.loc[change.idxmax(), "segment"][:10])  # the largest raise first


def test_names_stay_plain_text_when_shortened():
    segs = pd.DataFrame({"campaign": ["$\\frac{1}{0}$ " * 8], "segment": ["a$b"], "before": [1.0], "after": [2.0]})
    figure = figures.spend_by_segment(segs, "EUR")
    figure.draw_without_rendering()
    for text in figure.axes[0].get_yticklabels():
        shown, is_math = text._preprocess_math(text.get_text())
        assert not is_math and shown.endswith("/ a$b")


def test_one_outlier_does_not_crush_the_margin_bars_and_is_written_at_the_edge():
    result = account()
    figure = figures.expected_margin(result.plan, result.summary)
    bottom = figure.axes[1]
    outlier = OUTLIER * 50.0
    assert bottom.get_xlim()[1] < outlier / 100  # the axis holds the others …
    assert f"{outlier:,.0f}" in annotations(figure)  # … and the outlier is written beside its marker
    assert any(line.get_marker() == ">" for line in bottom.lines)
    assert len(bottom.patches) == 2 * figures.MAX_ROWS
    every_axis_readable(figure)


def test_an_outlier_budget_is_drawn_to_the_edge_with_its_amount():
    segs = pd.DataFrame({"campaign": ["c"] * 6, "segment": list("abcdef"), "before": [10.0, 12, 9, 11, 10, 10_000],
                         "after": [12.0, 11, 10, 12, 9, 10_000]})
    figure = figures.spend_by_segment(segs, "EUR")
    ax = figure.axes[0]
    assert ax.get_xlim()[1] < 100
    assert {"10,000 (+0, +0%)", "yesterday 10,000"} <= set(annotations(figure))


def test_conversion_rates_near_1e5_get_ticks_that_differ_and_say_their_unit():
    figure = figures.creative_intervals(creatives_with_rates(), metric="margin_per_euro", currency="EUR")
    rate_axis = figure.axes[0].xaxis
    texts = tick_texts(rate_axis)
    assert len(texts) >= 3 and len(set(texts)) == len(texts)
    assert "0.0%" not in texts and "0.0 %" not in texts
    assert "per million" in rate_axis.get_label_text()
    every_axis_readable(figure)


def test_a_creative_1000_times_better_is_marked_not_crushing_the_others():
    frame = creatives_with_rates(outlier=True)
    figure = figures.creative_intervals(frame, metric="margin_per_euro", currency="EUR")
    metric_ax = figure.axes[1]
    outlier = frame["metric_mean"].max()
    assert metric_ax.get_xlim()[1] < outlier / 10
    assert f"mean {outlier:,.2f}" in annotations(figure)


def test_a_segment_with_many_creatives_draws_its_best_and_worst():
    frame = creatives_with_rates(n=80)
    figure = figures.creative_intervals(frame, metric="conversion_rate")
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(labels) == 2 * figures.MAX_ROWS + 1
    assert f"… and {80 - 2 * figures.MAX_ROWS} more creatives (see decisions.csv)" in labels
    every_axis_readable(figure)


# ------------------------------------------------------------------ the HTML tables


def test_a_long_table_shows_its_ends_says_how_many_are_left_out_and_escapes_names():
    frame = pd.DataFrame({"segment": [f"<b>s{i}</b>" for i in range(N_SEGMENTS)], "change": np.arange(N_SEGMENTS, dtype=float)})
    table = excerpt(frame, "change", 15, what="segments", where="plan.csv has them all", order="spend change")
    assert isinstance(table, Excerpt)
    page = render_page("t", [Section("s", table=table)])
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    assert body.count("<tr>") == 30 and body.count('<tr class="gap">') == 1
    assert f"… {N_SEGMENTS - 30:,} more rows, left out here …" in body
    assert f"{N_SEGMENTS - 30:,} more are left out between them ({N_SEGMENTS:,} in all): plan.csv has them all." in page
    assert html.escape(f"<b>s{N_SEGMENTS - 1}</b>") in body and "<b>s" not in body
    short = excerpt(frame.head(31), "change", 15, what="segments", where="plan.csv has them all", order="spend change")
    assert isinstance(short, pd.DataFrame) and len(short) == 31  # 31 rows fit: nothing left out


@pytest.fixture(scope="module")
def big_plan_page(tmp_path_factory):
    result = account()
    policy = policy_from_dict({"budget": {"daily_total": 1900.0, "currency": "USD"}})
    folder = tmp_path_factory.mktemp("big")
    mp = pytest.MonkeyPatch()
    mp.setattr(plan_report, "MAX_SEGMENT_FIGURES", 2)  # the creatives' figures are tested above; keep this quick
    try:
        index = plan_report.write_plan_report(result, policy, folder)
    finally:
        mp.undo()
    return result, index.read_text(encoding="utf-8"), folder


def test_the_plan_report_of_700_segments_caps_its_tables_and_sections(big_plan_page):
    result, page, _ = big_plan_page
    tables = re.findall(r"<table>.*?</table>(?:<p class=\"note\">.*?</p>)?", page, re.DOTALL)
    for table in tables:
        assert table.count("<tr>") <= 1 + 2 * plan_report.MAX_TABLE_ROWS  # the header and both ends
    segment_table = next(t for t in tables if "what set it" in t)
    left = N_SEGMENTS - 2 * plan_report.MAX_TABLE_ROWS
    assert f"… {left:,} more rows, left out here …" in segment_table
    assert "plan.csv (one row per creative) has them all" in segment_table
    assert page.count("<h2>Creatives in ") == plan_report.MAX_SEGMENT_SECTIONS + 1  # … and one for the rest
    assert f"<h2>Creatives in the other {N_SEGMENTS - plan_report.MAX_SEGMENT_SECTIONS:,} segments</h2>" in page
    assert "plan.csv and decisions.csv have them all" in page
    largest = max(result.summary["segments"], key=lambda s: s["after"])  # the first segment's section
    row = result.decisions[result.decisions["segment"] == largest["segment"]].iloc[0]  # rates near 1e-5 keep their digits
    assert f"{rate_text(row.cvr_mean)} ({rate_text(row.cvr_p05)} to {rate_text(row.cvr_p95)})" in page
    assert "0.00% (0.00% to" not in page
    n = plan_report.MAX_SEGMENT_BARS
    assert f"the {n} segments raised most and the {n} cut most, of {N_SEGMENTS}" in page
    assert len(page) < 3_000_000
    # the binding constraints: the largest few listed, the others counted
    assert page.count("<li>one more USD on segment") == plan_report.MAX_BINDING
    assert "<li>one more USD on segment 0: max_daily_change would earn 50.00 USD</li>" in page
    assert f"{N_SEGMENTS // 2 - plan_report.MAX_BINDING:,} more, each worth less, are left out" in page


# ------------------------------------------------------------------ simulation and sweep


def test_cumulative_margin_bands_are_shaded_edged_and_said_in_the_legend():
    daily, _ = simulation_tables()
    figure = simulation.cumulative_margin_figure(daily, "EUR")
    ax = figure.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4 and all(band.get_alpha() >= 0.2 for band in bands)
    assert len(ax.lines) == 3 * 4  # the mean and both edges of every policy
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(text.startswith("budgetopt: ") and " to " in text for text in legend)
    assert any("too narrow to see" in text for text in annotations(figure))  # 1 % bands: pointed to the regret figure
    every_axis_readable(figure)


def test_an_allocation_of_17_segments_colours_the_top_8_apart_and_groups_the_rest():
    _, allocation = simulation_tables(n_segments=17)
    figure = simulation.allocation_figure(allocation, "budgetopt")
    ax = figure.axes[0]
    layers = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(layers) == simulation.ALLOCATION_TOP + 1
    colors = [tuple(np.round(to_rgb(layer.get_facecolor()[0]), 3)) for layer in layers]
    assert len(set(colors)) == len(colors)
    closest = min(np.abs(np.subtract(a, b)).sum() for a, b in combinations(colors, 2))
    assert closest > 0.3  # no two colours nearly alike (tab20's pairs were ~0.3 apart in one channel only)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("other: 9 segments")
    rows = allocation[allocation["policy"] == "budgetopt"]
    largest = rows.groupby("segment")["spend_mean"].sum().idxmax()
    assert legend[-1].startswith(f"campaign-{int(largest[-2:]) % 4}/{largest}")  # the largest at the bottom of the stack


def test_sweep_panels_share_one_scale_and_show_the_noise():
    table = sweep_table(spread=0.0003)
    settings = ["exploration", "half_life_days", "disable_below_p_best"]
    figure = sweep.settings_figure(table, settings)
    limits = {tuple(np.round(ax.get_ylim(), 9)) for ax in figure.axes if ax.get_visible()}
    assert len(limits) == 1
    low, high = limits.pop()
    assert high - low >= sweep.MIN_SPAN  # a 0.03 % difference fills a few % of the axis, not all of it
    assert high - low >= 2 * 0.01  # the replication interval (±1 %) is inside the axis
    for ax in figure.axes:
        assert ax.containers, "no error bars"
    every_axis_readable(figure)
    own = [Figure().add_subplot() for _ in settings]  # the caller's axes, not shared: set to one scale all the same
    sweep.settings_figure(table, settings, axes=own)
    assert len({ax.get_ylim() for ax in own}) == 1


def test_best_settings_ticks_differ_when_the_differences_are_cents():
    table = sweep_table(spread=0.0000001)
    table[["vs_best_mean", "vs_best_p05", "vs_best_p95"]] *= 1e-5
    figure = sweep.best_settings_figure(table, ["exploration", "half_life_days", "disable_below_p_best"])
    texts = tick_texts(figure.axes[0].xaxis)
    assert len(set(texts)) == len(texts) >= 3


def test_the_bad_cases_render_as_pngs(tmp_path):
    result = account()
    daily, allocation = simulation_tables()
    for name, figure in {
        "spend_by_segment": figures.spend_by_segment(segments_frame(result), "USD"),
        "expected_margin": figures.expected_margin(result.plan, result.summary),
        "creatives": figures.creative_intervals(creatives_with_rates(outlier=True)),
        "cumulative_margin": simulation.cumulative_margin_figure(daily),
        "allocation": simulation.allocation_figure(allocation, "budgetopt"),
        "settings": sweep.settings_figure(sweep_table(), ["exploration", "half_life_days", "disable_below_p_best"]),
    }.items():
        png = figure_png(figure)
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), name
        (tmp_path / f"{name}.png").write_bytes(png)


def test_long_names_that_differ_only_at_their_end_stay_apart():
    names = [f"Summer sale 2026 — prospecting — lookalike 1 % — variant {v}" for v in "AB"]
    figure = figures.spend_before_after(names, [10.0, 20.0], [12.0, 18.0], "EUR")
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(set(labels)) == 2 and all(label.endswith(f"variant {v}") for label, v in zip(labels, "AB"))
    assert all(len(label) <= figures.MAX_LABEL for label in labels)
