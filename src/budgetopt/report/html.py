"""Self-contained HTML reports: sections of text, tables and PNG figures embedded as data URIs.

Every piece of text (including campaign, segment and creative names from ad platforms) is
escaped; the page loads nothing from the network. `write_report` writes the PNGs beside
`index.html`, each file atomically.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from budgetopt.outputs import OutputSet, claim_report_dir
from budgetopt.report.scales import top_and_bottom


@dataclass(frozen=True)
class Figure:
    """A PNG figure: `name` is its file name beside index.html (e.g. "spend_by_segment.png")."""

    name: str
    png: bytes
    caption: str = ""


@dataclass(frozen=True)
class Excerpt:
    """A long table cut to its first and last rows: `rows` holds both groups, `first` rows before the
    gap; `left_out` rows were between them, and `note` says where they all are."""

    rows: pd.DataFrame
    first: int
    left_out: int
    note: str


def excerpt(frame: pd.DataFrame, by: str | Sequence[float], n: int, *, what: str, where: str, order: str) -> pd.DataFrame | Excerpt:
    """frame as it is, or with more than 2n + 1 rows, an Excerpt of its n first and n last rows by `by`
    (a column or values per row), largest first. what: the rows' plural noun ("segments"); where: which
    file has them all ("plan.csv has them all"); order: what `by` is, for the note ("spend change")."""
    rows, left_out = top_and_bottom(frame, by, n)
    if not left_out:
        return rows
    note = (
        f"The {n} {what} with the largest {order} and the {n} with the smallest are shown; "
        f"{left_out:,} more are left out between them ({len(frame):,} in all): {where}."
    )
    return Excerpt(rows, n, left_out, note)


@dataclass(frozen=True)
class Section:
    """A titled block of the page: paragraphs, then bullets, then an optional table and figures (table first by default)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    table: pd.DataFrame | Excerpt | None = None
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    bullets: tuple[str, ...] = ()
    figures_first: bool = False  # figures before the table (look first, then read)


def figure_png(figure, dpi: int = 110) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; font-size: .88em; margin: .6em 0; }
th, td { border: 1px solid #ddd; padding: .25em .55em; text-align: right; }
th { background: #f4f4f4; } td.text, th.text { text-align: left; }
tr.gap td { text-align: center; color: #666; font-style: italic; background: #fafafa; } p.note { color: #555; font-size: .9em; }
figure { margin: 1em 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: .9em; }
"""


def _row(values) -> str:
    cells = []
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, numbers.Real)):
            cells.append(f'<td class="text">{html.escape(str(value))}</td>')
        elif isinstance(value, numbers.Integral):
            cells.append(f"<td>{value:,}</td>")
        else:
            cells.append(f"<td>{value:,.2f}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def _table(table: pd.DataFrame | Excerpt) -> str:
    """The table as HTML; an Excerpt gets a row "… K more …" between its two groups and its note below."""
    frame = table.rows if isinstance(table, Excerpt) else table
    first = next(frame.itertuples(index=False), None)
    head = "".join(
        f'<th class="text">{html.escape(str(c))}</th>' if first is not None and isinstance(first[i], str) else f"<th>{html.escape(str(c))}</th>"
        for i, c in enumerate(frame.columns)
    )
    rows = [_row(values) for values in frame.itertuples(index=False)]
    note = ""
    if isinstance(table, Excerpt):
        gap = f"… {table.left_out:,} more rows, left out here …"
        rows.insert(table.first, f'<tr class="gap"><td colspan="{len(frame.columns)}">{html.escape(gap)}</td></tr>')
        note = f'<p class="note">{html.escape(table.note)}</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(figure.caption or figure.name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>"
    )


def render_page(title: str, sections: Sequence[Section]) -> str:
    """The whole page as one string; images are embedded, so the file stands alone."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in section.paragraphs)
        if section.bullets:
            parts.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
        table = [_table(section.table)] if section.table is not None else []
        figures = [_figure(figure) for figure in section.figures]
        parts.extend([*figures, *table] if section.figures_first else [*table, *figures])
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(directory: str | Path, title: str, sections: Sequence[Section], *, outputs: OutputSet | None = None, force: bool = False) -> Path:
    """Write index.html and every figure's PNG into `directory`; returns the index path.

    With `outputs` (the run's OutputSet, which has claimed the folder), the files are staged with the
    run's other outputs; without, they are written at once, all or nothing, into a folder that is new,
    empty or holds only an earlier report (other files need `force`). A report written where an earlier
    one was removes the earlier one's figures it does not redraw, never a file it did not write."""
    directory = Path(directory)
    if outputs is None:
        with OutputSet(reports=[claim_report_dir(directory, force=force)]) as own:
            return write_report(directory, title, sections, outputs=own)
    for section in sections:
        for figure in section.figures:
            outputs.bytes("--report", directory / figure.name, figure.png)
    return outputs.text("--report", directory / "index.html", render_page(title, sections))
