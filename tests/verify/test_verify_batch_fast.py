"""The fast path of grade_batch never changes a verdict: pre-dedupe, tail reads, number keys."""

import random

import polars as pl
import pytest

import mathpref.verify.batch as batch
from mathpref.verify import COLUMNS, extract, grade, grade_batch
from mathpref.verify.extract import _last_number
from mathpref.verify.numeric import NumberTooLarge, number_key, parse_number
from mathpref.verify.vector import extract_frame, number_keys, vector_stage
from mathpref.verify.vector_keys import _TAIL
from mathpref.verify.vector_keys import last_numbers as _last_numbers

_PIECES = [
    "Tom has 3 apples. ",
    "So 12 + 7 = <<12+7=19>>19 eggs.",
    "\n",
    "\n\n",
    "1,234 ",
    "-5.25 ",
    "é ",  # multi-byte: char slicing vs byte lengths
    "<<3*4=12>>",
    "<<unterminated 7",
    "=99>>",
    "#### 18",
    "#### 1,000 dollars",
    "The answer is 42.",
    "the answer is: $7.50",
    "the answer is \n",
    "A: 17",
    "Answer: it is a long prose answer with many more words than allowed",
    "\nA: 3/4",
    "\nQuestion: how many? ",
    "\nQ: next",
    "Problem: again 5",
    "\\boxed{12}",
    "\\boxed{\\frac{1}{2}}",
    "\\fbox{3}",
    "The final answer is $8$.",
    "{[(",
    "x" * 150,
    "7" * 40,
    "0.50",
    " 007 ",
]
# version 3: continuations, checks, box groups, emphasis, structures, decimal commas
_PIECES_V3 = _PIECES + [
    "\nUser: and now? ",
    "<|im_start|>user ",
    "\nProblem 2: next 9",
    "Let me double-check: 5 + 8 = 13. ",
    "Check: \\boxed{13}",
    " and \\boxed{-2}",
    "\\boxed{\\phantom{2}}",
    "**7**",
    "0,5 ",
    "3,25 ",
    "(7, 6)",
    "x \\geq 3",
    "$3, 4$",
    "\nFinal Answer: 4",
    "#### Step 1: add",
    "I hope it is correct.",
    # version 4: "final answer is" + a box (bare, in dollars, half-open, nested)
    "Therefore, the final answer is $\\boxed{8}$.",
    "The final answer is \\boxed{ 3 }",
    "final answer is: $\\boxed{\\frac{1}{2}}$",
    "Final answer is $\\boxed{5}",
    "the final answer is $$\\boxed{4}$$",
]
_GOLDS = ["18", "1000", "42", "7.5", "17", "0.75", "12", "1/2", "3", "8", "-5.25", "1,234", "x"]


def _completion(rng: random.Random, pieces=_PIECES) -> str:
    parts = [rng.choice(pieces) for _ in range(rng.randint(1, 14))]
    if rng.random() < 0.3:  # put a number, annotation or newline right at the tail cut
        text = "".join(parts)
        pad = "w" * max(0, _TAIL - len(text) + rng.randint(-3, 3))
        return rng.choice(["12345", "<<1+1=2>>", "\n", "9\n", "A: 5\n"]) + pad + text
    return "".join(parts)


def _corpus(n: int, seed: int, pieces=_PIECES) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    return [rng.choice(_GOLDS) for _ in range(n)], [_completion(rng, pieces) for _ in range(n)]


@pytest.mark.parametrize(("pieces", "at_least"), [(_PIECES, 1000), (_PIECES_V3, 300)])
def test_vector_extraction_matches_per_row_extract(pieces, at_least):
    _, comps = _corpus(4000, seed=1, pieces=pieces)
    ex = extract_frame(pl.Series(comps, dtype=pl.String)).to_dicts()
    settled = 0
    for c, row in zip(comps, ex, strict=True):
        if row["settled"]:
            settled += 1
            e = extract(c)
            assert (row["answer"], row["rule"]) == (e.answer, e.rule), c
    assert settled > at_least  # the comparison is not vacuous


def test_last_numbers_tail_matches_full_scan():
    rng = random.Random(2)
    texts = []
    for _ in range(3000):
        body = "".join(rng.choice("0123456789 ,.-/<>=\nab") for _ in range(rng.randint(0, 400)))
        texts.append(body)
    texts += ["1" * 500, "5\n" + "x" * 300, "<<" + "1" * 170 + ">>", "é" * 200 + "\n12", ""]
    got = _last_numbers(pl.Series(texts, dtype=pl.String)).to_list()
    assert got == [_last_number(t) for t in texts]


def test_number_keys_match_per_row_parser():
    rng = random.Random(3)
    values = []
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 8)))
        v = rng.choice(["", "-", "$", "\\$", "$-"]) + digits
        if rng.random() < 0.4:
            v += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 4)))
        if rng.random() < 0.2:
            v = v.replace("", ",", 1) if rng.random() < 0.2 else f"{rng.randint(0, 10**7):,}"
        if rng.random() < 0.15:
            v += rng.choice([" dollars", " cm", " million", " hundred"])
        values.append(v)
    values += ["0", "-0", "000", "0.0", "-0.0", ".5", "5.", "1" * 30, "1" * 31, None]
    keys = number_keys(pl.Series(values, dtype=pl.String)).to_list()
    for v, k in zip(values, keys, strict=True):
        if k is None:
            continue
        try:
            expect = number_key(parse_number(v))
        except NumberTooLarge:  # pragma: no cover - would be a vector-path bug
            expect = None
        assert k == expect, v


@pytest.mark.timeout(180)
@pytest.mark.parametrize("pieces", [_PIECES, _PIECES_V3])
def test_fast_path_verdicts_equal_per_row_grade(pieces):
    golds, comps = _corpus(1500, seed=4, pieces=pieces)
    rows = grade_batch(golds, comps, dedupe=False).to_pylist()
    for g, c, row in zip(golds, comps, rows, strict=True):
        v = grade(g, c)
        assert row == {k: getattr(v, k) for k in COLUMNS}, (g, c)


@pytest.mark.timeout(180)
def test_dedupe_maps_verdicts_back_to_every_row():
    golds, comps = _corpus(300, seed=5)
    rng = random.Random(6)
    idx = [rng.randrange(300) for _ in range(3000)]
    g2 = [golds[i] for i in idx] + [None, None, "18"]
    c2 = [comps[i] for i in idx] + [None, "#### 18", None]
    groups = batch.unique_pairs(pl.Series(g2, dtype=pl.String), pl.Series(c2, dtype=pl.String))
    assert groups is not None
    first, inverse = groups
    assert len(first) < 400 and len(inverse) == len(g2)
    a = grade_batch(g2, c2, dedupe=True)
    b = grade_batch(g2, c2, dedupe=False)
    assert a.equals(b)


def test_hash_collision_falls_back_to_exact_rows(monkeypatch):
    monkeypatch.setattr(batch, "_pair_hash", lambda g, c: pl.Series([7] * len(g), dtype=pl.UInt64))
    golds = ["1", "2", "3"] * 40
    comps = ["#### 1", "#### 3", "#### 3"] * 40
    assert batch.unique_pairs(pl.Series(golds), pl.Series(comps)) is None
    rows = grade_batch(golds, comps).to_pylist()
    assert [r["status"] for r in rows[:3]] == ["correct", "incorrect", "correct"]


def test_progress_counts_input_rows_with_dedupe():
    golds = ["1", "2", "x+1"] * 100
    comps = ["#### 1", "#### 3", "no digits here"] * 100
    seen = []
    grade_batch(golds, comps, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 300


def test_numeric_only_batches_never_start_math_verify(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("math-verify pool started")

    monkeypatch.setattr(batch, "shared_pool", boom)
    monkeypatch.setattr(batch, "VerifyPool", boom)
    golds = ["18", "0.5", "3", None, "7"] * 50
    comps = ["#### 18", "\\boxed{\\frac{1}{2}}", "The answer is 4.", "#### 2", "nothing"] * 50
    for dedupe in (True, False):
        rows = grade_batch(golds, comps, dedupe=dedupe).to_pylist()
        assert [r["status"] for r in rows[:5]] == [
            "correct",
            "correct",
            "incorrect",
            "unverifiable",
            "incorrect",
        ]


def _shared_completions() -> list[str]:
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parents[3] / "shared" / "data"
    out: list[str] = []
    sols = data / "gsm8k" / "example_model_solutions.jsonl"
    qwen = data / "qwen25_math_samples" / "math_cot_100.jsonl"
    if sols.exists():
        for line in sols.open():
            rec = json.loads(line)
            out += [v["solution"] for v in rec.values() if isinstance(v, dict) and "solution" in v]
    if qwen.exists():
        out += [c for line in qwen.open() for c in json.loads(line)["code"]]
    return out


def test_vector_extraction_matches_per_row_on_shared_data():
    comps = _shared_completions()
    if not comps:
        pytest.skip("shared GSM8K / Qwen samples not available")
    ex = extract_frame(pl.Series(comps, dtype=pl.String)).to_dicts()
    for c, row in zip(comps, ex, strict=True):
        if row["settled"]:
            e = extract(c)
            assert (row["answer"], row["rule"]) == (e.answer, e.rule), c[-300:]
    assert sum(r["settled"] for r in ex) > 5000


@pytest.mark.timeout(300)
def test_threaded_vector_stage_equals_single_thread():
    golds, comps = _corpus(2000, seed=8)
    g = pl.Series(golds * 23, dtype=pl.String)  # 46,000 rows: split across threads
    c = pl.Series(comps * 23, dtype=pl.String)
    assert vector_stage(g, c, threads=3).equals(vector_stage(g, c, threads=1))
    # Whole batch on the threaded path (all rows distinct, a few per-row ones) vs row by row.
    golds = [str(i % 97) for i in range(45_000)]
    comps = [f"Step {i}: 2 + 3 = <<2+3=5>>5.\n#### {i % 89}" for i in range(45_000)]
    for i in range(0, 45_000, 4999):
        comps[i] = f"{i} cases \\boxed{{\\frac{{{i}}}{{7}}}} or {comps[i]}"
    table = grade_batch(golds, comps, dedupe=False).to_pylist()
    for i in [*range(0, 45_000, 4999), 1, 22_500, 44_999]:
        v = grade(golds[i], comps[i])
        assert table[i] == {k: getattr(v, k) for k in COLUMNS}, i
    got = [r["status"] == "correct" for i, r in enumerate(table) if i % 4999]
    assert got == [int(g) == i % 89 for i, g in enumerate(golds) if i % 4999]
