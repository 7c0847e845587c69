"""`benchmark = ...` on the problems stage: fixed files, fields and source names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mathpref.errors import SpecError
from mathpref.ids import problem_id
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store


def _spec(tmp: Path, body: str, name: str = "bench") -> Path:
    spec = tmp / f"{name}.toml"
    spec.write_text(f'[pipeline]\nname = "{name}"\n\n[stages.problems]\nkind = "problems"\n{body}')
    return spec


def _problems(tmp: Path, body: str):
    spec = _spec(tmp, body)
    st = Store(tmp / "st")
    Runner(load_spec(str(spec)), st).build()
    ref = st.read_ref("bench")
    return st.read(ref.output("problems", "problems")["dataset_id"])


@pytest.mark.parametrize(
    ("bench", "rows", "source"),
    [
        ("gsm8k", 1319, "gsm8k-test"),
        ("gsm8k-platinum", 1209, "gsm8k-platinum"),
        ("math500", 500, "math500"),
    ],
)
def test_benchmarks_read_their_pinned_file(shared_data, tmp_path, monkeypatch, bench, rows, source):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    t = _problems(tmp_path, f'benchmark = "{bench}"\n')
    assert t.num_rows == rows
    assert set(t["source"].to_pylist()) == {source}
    assert t["gold_status"].to_pylist().count("ok") == rows
    first = t.sort_by("source_index").slice(0, 1).to_pylist()[0]
    assert first["problem_id"] == problem_id(source, first["question"])
    if bench == "math500":
        assert set(__import__("json").loads(first["metadata"])) == {"subject", "level", "unique_id"}


def test_gsm8k_benchmark_shares_ids_with_the_shipped_gsm8k_build(
    shared_data, tmp_path, monkeypatch
):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    ours = _problems(tmp_path, 'benchmark = "gsm8k"\nlimit = 20\n')
    spec = Path(__file__).resolve().parents[2] / "pipelines" / "gsm8k-openai-solutions.toml"
    pipeline = load_spec(str(spec))
    pipeline.stages = {"problems": pipeline.stages["problems"]}
    pipeline.stages["problems"].config["limit"] = 20
    st = Store(tmp_path / "st2")
    Runner(pipeline, st).build()
    theirs = st.read(
        st.read_ref("gsm8k-openai-solutions").output("problems", "problems")["dataset_id"]
    )
    assert ours["problem_id"].to_pylist() == theirs["problem_id"].to_pylist()
    assert ours["gold_answer"].to_pylist() == theirs["gold_answer"].to_pylist()


def test_benchmark_refuses_a_path_or_source_of_its_own(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    spec = _spec(tmp_path, 'benchmark = "gsm8k"\npath = "x.jsonl"\n')
    with pytest.raises(SpecError, match=r"fixes the file.*drop \['path'\]"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st"))
    spec = _spec(tmp_path, 'benchmark = "gsm8k"\nsource = "mine"\n')
    with pytest.raises(SpecError, match=r"drop \['source'\]"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st"))
    spec = _spec(tmp_path, 'benchmark = "aime"\n')
    with pytest.raises(SpecError, match="unknown; valid"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st"))


def test_missing_or_altered_eval_set_is_an_error(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(tmp_path / "nowhere"))
    spec = _spec(tmp_path, 'benchmark = "math500"\n')
    with pytest.raises(SpecError, match="not found at .*set MATHPREF_DATA_DIR"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st"))
    data = tmp_path / "data" / "math500"
    data.mkdir(parents=True)
    shutil.copy(shared_data / "math500" / "test.jsonl", data / "test.jsonl")
    with open(data / "test.jsonl", "a") as fh:
        fh.write('{"problem": "1+1?", "answer": "2"}\n')
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SpecError, match="not the pinned"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st"))


def test_hub_source_pins_the_registry_revision(tmp_path):
    from mathpref.stages.problems import ProblemsConfig

    c = ProblemsConfig(benchmark="gsm8k-platinum", benchmark_source="hub")
    assert (c.path, c.format, c.hf_config, c.split) == (
        "hf://madrylab/gsm8k-platinum",
        "hf",
        "main",
        "test",
    )
    assert c.revision == "e762492455a1cf7967de89f05b6bef72fc713b66"
    assert c.source == "gsm8k-platinum" and c.preset == "gsm8k"
    with pytest.raises(ValueError, match="benchmark_source must be"):
        ProblemsConfig(benchmark="math500", benchmark_source="web")
