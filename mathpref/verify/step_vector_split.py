""":func:`mathpref.verify.steps.split_steps` for a whole column, in polars.

Same rule: ``\\r\\n`` -> ``\\n``, strip; paragraphs (``\\n[ \\t\\r]*\\n``) when the stripped text
has one, else lines; each piece stripped, empty ones dropped. Rows that could differ go through
``split_steps`` itself: ``step`` and a number in any case (``ſ`` too) in a row holding ``tep``
(where the ``Step N:`` marker rule can split), ``\\x00`` (the separator used here), or ``\\x1c-\\x1f`` (whitespace to Python's
``str.strip`` and ``\\s`` but not to Rust's -- the only code points where the two disagree).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from mathpref.verify.steps import split_steps

PARA = r"\n[ \t\r]*\n"
MARKER = r"(?i)[sſ]tep\s+\d"  # where a ``Step N:`` marker could split a block
ODD = r"[\x00\x1c-\x1f]"


def _pieces(rows: np.ndarray, texts: pl.Series, sep: str) -> pl.DataFrame:
    """Rows' pieces between `sep`, stripped, empty ones dropped, in order."""
    return (
        pl.DataFrame({"row": rows, "s": texts.str.split(sep, literal=True)})
        .explode("s")
        .with_columns(pl.col("s").str.strip_chars())
        .filter(pl.col("s") != "")
    )


def _where(mask: pl.Series, texts: pl.Series, pattern: str) -> np.ndarray:
    """Indices of the rows of `mask` whose text matches `pattern` (regex run on those only)."""
    idx = np.flatnonzero(mask.to_numpy())
    return idx[texts.gather(idx).str.contains(pattern).to_numpy()] if len(idx) else idx


def split_column(solutions: Sequence[str | None]) -> tuple[pl.Series, np.ndarray]:
    """(flat steps in row order, steps per row)."""
    s = pl.Series("t", solutions, dtype=pl.String).fill_null("")
    n = len(s)
    slow = np.zeros(n, bool)
    slow[_where(s.str.contains("tep", literal=True), s, MARKER)] = True
    slow[np.flatnonzero(s.str.contains(ODD).to_numpy())] = True
    cr = np.flatnonzero(s.str.contains("\r", literal=True).to_numpy())
    if len(cr):
        s = s.scatter(cr, s.gather(cr).str.replace_all("\r\n", "\n", literal=True))
    t = s.str.strip_chars()
    para = np.zeros(n, bool)
    para[_where(t.str.contains("\n", literal=True), t, PARA)] = True
    line_rows = np.flatnonzero(~para & ~slow)
    para_rows = np.flatnonzero(para & ~slow)
    parts = [
        _pieces(line_rows, t.gather(line_rows), "\n"),
        _pieces(para_rows, t.gather(para_rows).str.replace_all(PARA, "\x00"), "\x00"),
    ]
    slow_rows = np.flatnonzero(slow)
    if len(slow_rows):
        pieces = [split_steps(solutions[i] or "") for i in slow_rows.tolist()]
        parts.append(
            pl.DataFrame(
                {
                    "row": np.repeat(slow_rows, [len(p) for p in pieces]),
                    "s": pl.Series([x for p in pieces for x in p], dtype=pl.String),
                }
            )
        )
    flat = pl.concat([p.with_columns(pl.col("row").cast(pl.Int64)) for p in parts])
    flat = flat.sort("row", maintain_order=True)
    return flat["s"], np.bincount(flat["row"].to_numpy(), minlength=n).astype(np.int64)
