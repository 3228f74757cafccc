"""Build a self-contained HTML page section by section.

Examples
--------
>>> from missmodal.report import HtmlReport
>>> page = HtmlReport("Audit")
>>> page.heading("Groups")
>>> page.table([{"group": "a+b", "count": 3}])
>>> "<table" in page.render()
True
"""

from __future__ import annotations

import base64
import html
import io
import os
from typing import Any, Sequence

from .._atomic import write_text_atomic
from .text import fmt_interval, fmt_number, human_label

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #333;padding-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em} th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right} td{white-space:nowrap} td:first-child{white-space:normal}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
figure{margin:1em 0} figure img{max-width:100%} figcaption{color:#555;font-size:.9em}
.wide{overflow-x:auto} .note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em .8em} code,pre{background:#f6f6f6;padding:.1em .3em}
"""


def figure_to_data_uri(figure, dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(value: Any) -> str:
    """A table cell: floats rounded to 3 decimals, a pair of numbers as an interval, None as ``–``."""
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return html.escape(fmt_interval(value))
        return html.escape(", ".join(fmt_number(v) for v in value))
    return html.escape(fmt_number(value))


class HtmlReport:
    """An HTML page assembled from headings, paragraphs, tables and embedded figures."""

    def __init__(self, title: str):
        self.title = title
        self._parts: list[str] = []

    def heading(self, text: str, level: int = 2) -> None:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, note: bool = False) -> None:
        css = ' class="note"' if note else ""
        self._parts.append(f"<p{css}>{html.escape(text)}</p>")

    def bullets(self, items: Sequence[str]) -> None:
        self._parts.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>")

    def code(self, text: str) -> None:
        self._parts.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
        """Rows of dicts as a table; column keys are shown as human labels (``missing_rate`` -> ``missing rate``)."""
        if not rows:
            self.paragraph("(no rows)")
            return
        columns = list(columns or rows[0].keys())
        head = "".join(f"<th>{html.escape(human_label(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows)
        self._parts.append(f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')

    def figure(self, figure, caption: str = "") -> None:
        uri = figure_to_data_uri(figure)
        self._parts.append(f'<figure><img alt="{html.escape(caption)}" src="{uri}"><figcaption>{html.escape(caption)}</figcaption></figure>')

    def render(self) -> str:
        body = "\n".join(self._parts)
        return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(self.title)}</title>"
                f"<style>{STYLE}</style></head><body><h1>{html.escape(self.title)}</h1>\n{body}\n</body></html>\n")

    def write(self, path: str | os.PathLike) -> None:
        """Write the page atomically."""
        write_text_atomic(path, self.render())
