"""Figure functions take data (and an optional ax), return the figure, and draw names as plain text."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from budgetopt.report import figures
from budgetopt.report.html import figure_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: names mathtext would render as maths or reject, and one longer than MAX_LABEL
NAMES = ["$\\frac{1}{0}$", "$\\undefinedmacro$", "a$b", "price $5 & 10$", "x" * 80]


def creatives(names: list[str]) -> pd.DataFrame:
    n = len(names)
    return pd.DataFrame({
        "creative": names, "cvr_mean": [0.03] * n, "cvr_p05": [0.02] * n, "cvr_p95": [0.04] * n,
        "metric_mean": [0.5] * n, "metric_p05": [-0.1] * n, "metric_p95": [1.1] * n,
        "p_best": [1.0 / n] * n, "verdict": (["keep", "disable", "paused", "winner", "too early"] * n)[:n],
    })


def segments(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "campaign": names, "segment": names, "before": [100.0 * (i + 1) for i in range(len(names))],
        "after": [130.0 * (i + 1) for i in range(len(names))],
    })


def drawn_texts(figure: Figure) -> list[str]:
    """What matplotlib will draw for every tick label and text: after its own mathtext handling."""
    figure.canvas.draw()
    out = []
    for ax in figure.axes:
        for text in [*ax.get_yticklabels(), *ax.texts]:
            shown, is_math = text._preprocess_math(text.get_text())
            assert not is_math, text.get_text()
            out.append(shown)
    return out


def test_names_are_drawn_as_typed_and_long_ones_shortened():
    figure = figures.creative_intervals(creatives(NAMES), metric="margin_per_euro", currency="EUR")
    shown = drawn_texts(figure)
    for name in NAMES[:-1]:
        assert name in shown
    assert "x" * (figures.MAX_LABEL - 1) + "…" in shown
    assert figure_png(figure).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "draw",
    [
        lambda ax: figures.spend_by_segment(segments(NAMES), "EUR", ax=ax),
        lambda ax: figures.spend_by_campaign(segments(NAMES), "EUR", ax=ax),
        lambda ax: figures.spend_before_after(NAMES, [1.0] * 5, [2.0] * 5, "$", ax=ax),
    ],
)
def test_spend_figures_draw_into_the_given_axes(draw):
    figure = Figure()
    ax = figure.add_subplot()
    assert draw(ax) is figure
    assert len(ax.patches) == 2 * len(ax.get_yticks())  # a before and an after bar per row
    assert any(NAMES[3] in text for text in drawn_texts(figure))  # "price $5 & 10$" drawn as typed, not as maths


def test_spend_by_campaign_adds_up_its_segments():
    frame = pd.DataFrame({"campaign": ["a", "a", "b"], "segment": ["1", "2", "3"], "before": [10.0, 20.0, 5.0], "after": [15.0, 30.0, 0.0]})
    figure = figures.spend_by_campaign(frame, "EUR")
    ax = figure.axes[0]
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    assert widths == [0.0, 5.0, 30.0, 45.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert "spend per day (EUR)" == ax.get_xlabel()


def test_conversion_rate_metric_draws_one_panel_and_margin_two():
    assert len(figures.creative_intervals(creatives(["a", "b"]), metric="conversion_rate").axes) == 1
    assert len(figures.creative_intervals(creatives(["a", "b"]), metric="margin_per_euro").axes) == 2


def test_expected_margin_shows_the_total_interval_and_each_segment():
    plan = pd.DataFrame({"campaign": ["c", "c", "d"], "segment": ["s", "s", "t"], "expected_margin": [100.0, 50.0, -20.0]})
    summary = {"currency": "EUR", "expected_margin": 130.0, "margin_p05": 90.0, "margin_p95": 170.0}
    figure = figures.expected_margin(plan, summary)
    top, bottom = figure.axes
    assert sorted(round(p.get_width(), 6) for p in bottom.patches) == [-20.0, 150.0]
    texts = drawn_texts(figure)
    assert {"5 %: 90", "expected 130", "95 %: 170"} <= set(texts)
    assert top.get_xlabel().endswith("(EUR)")
