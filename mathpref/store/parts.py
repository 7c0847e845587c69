"""A dataset's Parquet parts, written in fingerprint order while the next slice is gathered.

Gathering a slice in sorted order and hashing it (`RowTaker`, `Fingerprinter`) and encoding
the previous one (Parquet + zstd) both release the GIL, so one writer thread runs beside this
one: with 1,000,000 trajectories the write takes about the longer of the two instead of their
sum. At most two slices are in hand at once.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mathpref.store.fingerprint import SLICE_ROWS, Fingerprinter
from mathpref.store.take import RowTaker

ROWS_PER_FILE = 30 * SLICE_ROWS  # about 2M rows per file


class _PartWriter:
    """Appends slices to data/part-NNNNN.parquet files; runs on one thread, in call order."""

    def __init__(self, folder: Path, schema: pa.Schema):
        self.folder, self.schema = folder, schema
        self.files: list[str] = []
        self.writer: pq.ParquetWriter | None = None

    def write(self, start: int, part: pa.Table) -> None:
        if start % ROWS_PER_FILE == 0:
            self.close()
            self.files.append(f"data/part-{len(self.files):05d}.parquet")
            self.writer = pq.ParquetWriter(
                self.folder / self.files[-1], self.schema, compression="zstd"
            )
        self.writer.write_table(part, row_group_size=SLICE_ROWS)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _identity(order: pa.Array) -> bool:
    return bool(np.array_equal(np.asarray(order), np.arange(len(order))))


def write_parts(
    table: pa.Table, order: pa.Array | None, folder: Path, volatile
) -> tuple[list[str], str]:
    """Write `table` (rows in `order`, None: as they are) under `folder`/data; return the part
    files (relative to `folder`) and the table's fingerprint."""
    fp = Fingerprinter(table.schema, volatile)
    if order is not None and _identity(order):
        order = None  # rows already in order (a stage that kept its sorted input's order)
    taker = RowTaker(table) if order is not None else None
    out = _PartWriter(folder, table.schema)
    pending: list[Future] = []
    with ThreadPoolExecutor(1, thread_name_prefix="parquet-parts") as pool:
        try:
            for start in range(0, max(table.num_rows, 1), SLICE_ROWS):
                part = (
                    table.slice(start, SLICE_ROWS)
                    if taker is None
                    else taker.take(order.slice(start, SLICE_ROWS))
                )
                pending.append(pool.submit(out.write, start, part))
                fp.update(part)
                del part
                if len(pending) > 1:
                    pending.pop(0).result()  # bounds the slices in hand; raises a write error
            for f in pending:
                f.result()
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=True)
            out.close()
    return out.files, fp.hexdigest()
