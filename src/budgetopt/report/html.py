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

from budgetopt.outputs import write_atomic


@dataclass(frozen=True)
class Figure:
    """A PNG figure: `name` is its file name beside index.html (e.g. "spend_by_segment.png")."""

    name: str
    png: bytes
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A titled block of the page: paragraphs, then bullets, then an optional table and figures (table first by default)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
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
figure { margin: 1em 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: .9em; }
"""


def _table(frame: pd.DataFrame) -> str:
    first = next(frame.itertuples(index=False), None)
    head = "".join(
        f'<th class="text">{html.escape(str(c))}</th>' if first is not None and isinstance(first[i], str) else f"<th>{html.escape(str(c))}</th>"
        for i, c in enumerate(frame.columns)
    )
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for value in values:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, numbers.Real)):
                cells.append(f'<td class="text">{html.escape(str(value))}</td>')
            elif isinstance(value, numbers.Integral):
                cells.append(f"<td>{value:,}</td>")
            else:
                cells.append(f"<td>{value:,.2f}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


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


#: the PNGs the last report wrote into a folder, so the next one can remove those it no longer has
FIGURE_LIST = ".budgetopt-figures"


def write_report(directory: str | Path, title: str, sections: Sequence[Section]) -> Path:
    """Write index.html and every figure's PNG into `directory`; returns the index path.

    A report written where an earlier one was removes the earlier one's figures it does not redraw
    (a plan with fewer segments leaves no stale creatives_NN.png); other files are not touched."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = [figure.name for section in sections for figure in section.figures]
    for section in sections:
        for figure in section.figures:
            _write_bytes_atomic(directory / figure.name, figure.png)
    index = directory / "index.html"
    write_atomic(index, render_page(title, sections))
    listed = directory / FIGURE_LIST
    before = listed.read_text(encoding="utf-8").split("\n") if listed.is_file() else []
    for name in set(before) - set(names):
        if name.endswith(".png") and Path(name).name == name:  # only a figure this code wrote, in this folder
            (directory / name).unlink(missing_ok=True)
    write_atomic(listed, "\n".join(names))
    return index


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
