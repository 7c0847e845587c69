"""One self-contained HTML page per build: inline CSS, plots as PNG data URIs, no scripts and
no external resources, so the file opens anywhere (and offline) exactly as written."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from mathpref.report.collect import Report, Section, collect

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .85em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
figure.plot { display: inline-block; margin: .5em 1em .5em 0; vertical-align: top; }
figure.plot img { width: 640px; height: 360px; display: block; border: 1px solid #eee; }
figcaption { font-size: .8em; color: #555; max-width: 640px; }
p.verdict { margin: .3em 0; font-size: .9em; }
p.verdict.ns { color: #8a4b00; }
.meta { color: #555; font-size: .9em; }
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _table(caption: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"<p>{_e(caption)}: no rows.</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(_cell(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.4g}"
    return v


def _section(sec: Section) -> str:
    from mathpref.plots import data_uri

    parts = [f"<section><h2>{_e(sec.title)}</h2>"]
    for fig in sec.figures:
        parts.append(
            f'<figure class="plot" data-plot="{_e(fig.key)}">'
            f'<img alt="{_e(fig.title)}" width="640" height="360" src="{data_uri(fig.png)}">'
            f"<figcaption><b>{_e(fig.title)}</b>. {_e(fig.caption)}</figcaption></figure>"
        )
    for caption, rows in sec.tables:
        parts.append(_table(caption, rows))
    for line in sec.lines:
        cls = "verdict ns" if "NOT significant" in line else "verdict"
        parts.append(f'<p class="{cls}">{_e(line)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def render(report: Report, analyses: list[tuple[str, list[dict[str, Any]]]]) -> str:
    body = [
        f"<h1>mathpref report: {_e(report.pipeline)}</h1>",
        f'<p class="meta">Last successful build {_e(report.built_at)}.</p>',
        _table("Stages of the build", report.stages),
    ]
    body += [_section(s) for s in report.sections]
    if analyses:
        body.append("<section><h2>Analyses (sql/analyses)</h2>")
        body += [_table(name, rows) for name, rows in analyses]
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>mathpref report: {_e(report.pipeline)}</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(store, pipeline: str | None, out: Path, compare: list[str] | None = None) -> int:
    """Write the page for a build's last successful run; returns the number of plots."""
    from mathpref.db import connect, run_analyses

    report = collect(store, pipeline, compare)
    con = connect(store, report.pipeline)
    try:
        analyses = [(name, table.to_pylist()) for name, table in run_analyses(con)]
    finally:
        con.close()
    text = render(report, analyses)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return sum(len(s.figures) for s in report.sections)
