"""Item 8: bad input bytes and values are quarantined with file, line and field; the build goes on."""

import json

import pytest

from mathpref.errors import InputError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.sources.readers import read_records
from mathpref.store import Store
from tests.foundation.helpers import PROBLEMS, make_project

Q0, Q1 = PROBLEMS[0]["question"], PROBLEMS[1]["question"]


def _line(**rec):
    return json.dumps({"q": Q0, "model": "m", "text": "3 + 4 = 7. The answer is 7.", **rec})


def _log(tmp_path):
    lines = [
        _line(idx=0).encode(),
        b'{"q": "' + Q0.encode() + b'", "text": "bad \xff byte", "idx": 1}',  # 2: not UTF-8
        _line(text="lone \ud800 surrogate", idx=2).encode(),  # 3: JSON escape
        _line(idx="3").encode(),  # 4: string index
        _line(idx=float("nan")).encode(),  # 5: NaN (json writes NaN)
        _line(idx=1.7).encode(),  # 6
        _line(idx=True).encode(),  # 7
        _line(idx=4, arm={"name": "x"}).encode(),  # 8: dict-valued arm
        _line(idx=5.0, q=Q1, text="5 * 2 = 10\n#### 10").encode(),  # 9: 5.0 is fine
        _line(idx=6, model={"m": 1}).encode(),  # 10: model id not a string
    ]
    (tmp_path / "log.jsonl").write_bytes(b"\n".join(lines) + b"\n")


def test_bad_bytes_and_values_are_quarantined_with_line_and_field(tmp_path):
    spec = make_project(tmp_path)
    text = spec.read_text().replace('arm = "base"', 'arm = "base"\narm_field = "arm"')
    text = text.replace('label_field = "ok"', 'sample_index_field = "idx"')
    # this log is mostly broken rows on purpose: allow any share of it to be quarantined
    spec.write_text(text.replace("max_quarantine_fraction = 0.5", "max_quarantine_fraction = 1.0"))
    _log(tmp_path)
    with open(tmp_path / "problems.jsonl", "ab") as fh:
        fh.write(b'{"question": "caf\xe9?", "answer": "#### 1"}\n')  # latin-1 byte
        fh.write(b'{"question": "x \\udfff y?", "answer": "#### 2"}\n')
    res = {r.name: r for r in Runner(load_spec(str(spec)), Store(tmp_path / "st")).build()}
    st = Store(tmp_path / "st")
    q = {
        r["line"]: r
        for r in st.read(res["trajectories"].outputs["quarantine"]["dataset_id"]).to_pylist()
    }
    assert sorted(q) == [2, 3, 4, 5, 6, 7, 8, 10]
    assert all(r["source"].endswith("log.jsonl") for r in q.values())
    assert q[2]["field"] is None and "not valid UTF-8 (byte 0xff" in q[2]["reason"]
    assert "\\xff" in q[2]["raw"]
    assert q[3]["field"] == "text" and "invalid Unicode" in q[3]["reason"]
    assert "\\ud800" in q[3]["raw"]
    for line in (4, 5, 6, 7):
        assert q[line]["field"] == "idx" and "sample index" in q[line]["reason"], q[line]
    assert q[8]["field"] == "arm" and "is a dict, not a string" in q[8]["reason"]
    assert q[10]["field"] == "model" and "model_id" in q[10]["reason"]
    traj = st.read(res["trajectories"].outputs["trajectories"]["dataset_id"])
    assert sorted(traj["sample_index"].to_pylist()) == [0, 5]
    pq_ = st.read(res["problems"].outputs["quarantine"]["dataset_id"]).to_pylist()
    reasons = {r["line"]: (r["field"], r["reason"]) for r in pq_}
    assert reasons[7][0] is None and "not valid UTF-8" in reasons[7][1]
    assert reasons[8][0] == "question" and "invalid Unicode" in reasons[8][1]


def test_without_a_quarantine_the_error_names_file_line_and_field(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": "ok"}\n{"a": {"b": "\\ud83d"}}\n')
    with pytest.raises(InputError, match=r"x\.jsonl:2: .*field 'a\.b'"):
        list(read_records(str(path)))


def test_json_array_with_a_bad_byte_quarantines_the_element(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b'[{"a": "ok"}, {"a": "\xc3("}, {"a": "fine"}]')
    bad = []
    recs = list(read_records(str(path), on_bad=lambda *a: bad.append(a)))
    assert [n for n, _ in recs] == [1, 3] and bad[0][:2] == (2, "a")
