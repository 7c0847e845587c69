"""Scores and pairs through real builds: the demo, PRM800K step ratings, OpenAI GSM8K solutions."""

import json
from collections import Counter

import pytest

from mathpref.db import connect
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.scoring import run_audits
from mathpref.store import Store
from tests.conftest import REPO


def _build(name, store, sets=()):
    return {
        r.name: r
        for r in Runner(
            load_spec(str(REPO / "pipelines" / f"{name}.toml"), list(sets)), Store(store)
        ).build()
    }


def test_demo_builds_every_pair_type_and_pair_settings_rerun_only_pairs(tmp_path):
    res = _build("demo-scripted", tmp_path / "st")
    con = connect(Store(tmp_path / "st"))
    types = dict(con.sql("SELECT pair_type, count(*) FROM pairs GROUP BY 1").fetchall())
    assert types.get("correctness", 0) > 0 and types.get("coherence", 0) > 0
    assert con.sql("SELECT count(*) FROM step_pairs").fetchall()[0][0] > 0
    labels = dict(con.sql("SELECT label, count(*) FROM kto_rows GROUP BY 1").fetchall())
    assert labels[True] > 0 and labels[False] > 0
    assert all(a.passed for a in run_audits(con))
    # the step pair's chosen step comes from a verified-correct continuation of the same prefix
    rows = con.sql("""SELECT sp.initial_reason_steps, sp.chosen, sp.rejected, c.prefix, v.status
                      FROM step_pairs sp JOIN trajectories c
                        ON c.trajectory_id = sp.chosen_trajectory_id
                      JOIN verifications v ON v.trajectory_id = c.trajectory_id""").fetchall()
    for init, chosen, rejected, prefix, status in rows:
        assert status == "correct" and " ".join(init.split()) == " ".join(prefix.split())
        assert chosen != rejected
    again = _build("demo-scripted", tmp_path / "st", ["pairs.max_pairs_per_problem=1"])
    assert [n for n, r in again.items() if r.status == "computed"] == ["pairs"]
    assert res["scores"].outputs == again["scores"].outputs


def _prm_expected(shared_data):
    expected = set()
    for line in (shared_data / "openr_prm_samples" / "samples_prm800k.jsonl").open():
        rec = json.loads(line)
        path = []
        for step in rec["label"]["steps"]:
            if step["chosen_completion"] is not None:
                path.append(step["completions"][step["chosen_completion"]]["text"])
            elif step["human_completion"]:
                path.append(step["human_completion"]["text"])
            else:
                break
        final = path[-1].split("# Answer")[-1].strip() if path else None
        if final != rec["question"]["ground_truth_answer"]:
            continue  # the rated path does not reach the right answer: no verified continuation
        for k, step in enumerate(rec["label"]["steps"][: len(path)]):
            for comp in step["completions"]:
                if comp["rating"] == -1:
                    expected.add((rec["question"]["problem"], k, comp["text"], path[k]))
    return expected


def test_prm800k_rated_steps_become_step_pairs(tmp_path, shared_data):
    _build("prm800k-step-pairs", tmp_path / "st")
    con = connect(Store(tmp_path / "st"))
    got = set(
        con.sql("""SELECT p.question, sp.error_step, sp.rejected, sp.chosen
                         FROM step_pairs sp JOIN problems p USING (problem_id)""").fetchall()
    )
    expected = _prm_expected(shared_data)
    assert expected and got == expected
    assert all(a.passed for a in run_audits(con))


@pytest.mark.timeout(300)
def test_gsm8k_openai_solutions_build(tmp_path, shared_data):
    res = _build("gsm8k-openai-solutions", tmp_path / "st")
    con = connect(Store(tmp_path / "st"), "gsm8k-openai-solutions")
    acc = {
        arm: c
        for arm, c in con.sql(
            "SELECT arm, sum((status = 'correct')::INT) FROM rollouts GROUP BY arm"
        ).fetchall()
    }
    assert acc == {
        "6b_finetuning": 286,
        "6b_verification": 515,
        "175b_finetuning": 458,
        "175b_verification": 742,
    }
    # verdicts agree with OpenAI's labels row by row
    assert (
        con.sql(
            "SELECT count(*) FROM rollouts WHERE (status = 'correct') <> source_label"
        ).fetchall()[0][0]
        == 0
    )
    missing = con.sql("""
        WITH e AS (SELECT problem_id, bool_or(status = 'correct') c, bool_or(status = 'incorrect') i
                   FROM trajectory_scores WHERE eligible GROUP BY problem_id)
        SELECT count(*) FROM e WHERE c AND i AND problem_id NOT IN
            (SELECT problem_id FROM pairs WHERE pair_type = 'correctness')""").fetchall()[0][0]
    assert missing == 0
    # every verifications column belongs to its own trajectory (step checks run in workers)
    from mathpref.verify import check_steps

    rows = con.sql("""SELECT t.completion, v.first_arith_error_step, v.gold_answer, p.gold_answer
                      FROM verifications v JOIN trajectories t USING (trajectory_id)
                      JOIN problems p ON p.problem_id = v.problem_id""").fetchall()
    assert len(rows) == 5276
    assert all(g == pg for _, _, g, pg in rows)
    assert [e for _, e, _, _ in rows] == [
        check_steps(c).first_arith_error_step for c, _, _, _ in rows
    ]
    types = Counter(dict(con.sql("SELECT pair_type, count(*) FROM pairs GROUP BY 1").fetchall()))
    assert types["correctness"] > 1000 and types["coherence"] > 100
    assert all(a.passed for a in run_audits(con))
    second = _build("gsm8k-openai-solutions", tmp_path / "st")
    assert {r.status for r in second.values()} == {"cached"}
    assert {n: r.outputs for n, r in second.items()} == {n: r.outputs for n, r in res.items()}


def test_a_failing_audit_fails_the_build_and_publishes_no_ref(tmp_path):
    from mathpref.errors import AuditError
    from mathpref.stages import base as stage_mod
    from mathpref.stages.scoring import PairsStage

    class SwappedPairs(PairsStage):  # a buggy strategy: chosen and rejected swapped
        kind = "swapped_pairs"

        def run_shard(self, ctx, shard, n_shards):
            out = super().run_shard(ctx, shard, n_shards)
            p = out["pairs"]
            cols = {n: p[n] for n in p.column_names}
            for a, b in (
                ("chosen", "rejected"),
                ("chosen_trajectory_id", "rejected_trajectory_id"),
            ):
                cols[a], cols[b] = cols[b], cols[a]
            import pyarrow as pa

            out["pairs"] = pa.table(cols)
            return out

    stage_mod.REGISTRY["swapped_pairs"] = SwappedPairs
    try:
        spec = load_spec(str(REPO / "pipelines" / "demo-scripted.toml"))
        spec.stages["pairs"].kind = "swapped_pairs"
        with pytest.raises(AuditError, match="correctness_pair_labels"):
            Runner(spec, Store(tmp_path / "st")).build()
        assert not (tmp_path / "st" / "refs" / "demo-scripted.json").exists()
    finally:
        del stage_mod.REGISTRY["swapped_pairs"]
