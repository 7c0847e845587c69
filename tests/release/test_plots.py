"""mathpref.plots: PNG bytes that depend only on the data (no time, path or version chunks)."""

from __future__ import annotations

import struct

import pyarrow as pa

from mathpref import plots


def _chunks(png: bytes) -> list[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(png):
        n = struct.unpack(">I", png[i : i + 4])[0]
        out.append(png[i + 4 : i + 8])
        i += 12 + n
    return out


def test_plots_are_deterministic_pngs_without_metadata():
    traj = pa.table(
        {
            "trajectory_id": ["a", "b", "c", "d"],
            "arm": ["x", "x", "y", "y"],
            "parent_trajectory_id": [None, None, None, "a"],
        }
    )
    ver = pa.table(
        {
            "trajectory_id": ["a", "b", "c", "d"],
            "status": ["correct", "incorrect", "correct", "correct"],
        }
    )
    scores = pa.table({"pass_rate": [0.0, 0.5, 1.0, None]})
    made = [
        lambda: plots.arm_accuracy(traj, ver),
        lambda: plots.pass_rate_histogram(scores),
        lambda: plots.pair_types({"dpo/correctness": 3, "kto/unpaired:true": 2}),
        lambda: plots.length_comparison(["long answer", "x"], ["short"]),
        lambda: plots.pair_types({}),
    ]
    for make in made:
        a, b = make(), make()
        assert a == b
        assert set(_chunks(a)) <= {b"IHDR", b"pHYs", b"IDAT", b"IEND"}
    assert plots.data_uri(b"\x89PNG").startswith("data:image/png;base64,")
    assert plots.arm_accuracy(traj, ver) != plots.arm_accuracy(traj, ver.slice(0, 1))
