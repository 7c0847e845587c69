"""Row gathers for the store's sorted, slice-by-slice writes.

`pa.Table.take` on a column of many chunks joins the chunks again on every call, and a gather
in key order from a table in arrival order is a random permutation: for the 16 slices of a
1M-row trajectories table (completions of ~300 characters) that cost 6 s. polars gathers long
strings from the same buffers (string views point into Arrow's data, no copy of the table) on
all cores, in about a quarter of the time; for short strings, numbers and lists Arrow's own
take is as fast, so only the long-string columns of a many-chunk table go through polars.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

LONG_STRING_BYTES = 64  # mean bytes per value above which a column is gathered by polars


def _long_strings(col: pa.ChunkedArray) -> bool:
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return False
    return col.num_chunks > 1 and col.nbytes > LONG_STRING_BYTES * max(len(col), 1)


class RowTaker:
    """`take(indices)` equals `table.take(indices)`, for many index slices of one table."""

    def __init__(self, table: pa.Table):
        self.table = table
        self.frames: dict[str, object] = {}
        for name in table.column_names:
            if _long_strings(table.column(name)):
                import polars as pl

                self.frames[name] = pl.from_arrow(table.select([name]), rechunk=False)

    def take(self, indices: pa.Array | np.ndarray) -> pa.Table:
        if not self.frames:
            return self.table.take(indices)
        import polars as pl

        idx = np.asarray(indices, np.int64)
        arrow_idx = pa.array(idx)
        cols = []
        for field in self.table.schema:
            frame = self.frames.get(field.name)
            if frame is None:
                cols.append(self.table.column(field.name).take(arrow_idx))
            else:
                out = frame[idx].to_arrow(compat_level=pl.CompatLevel.oldest())
                cols.append(out.column(0).cast(field.type))
        return pa.Table.from_arrays(cols, schema=self.table.schema)
