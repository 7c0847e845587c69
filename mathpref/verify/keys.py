"""Canonical answer keys: equivalent answers to one problem share one `answer_key`.

`grade_batch` keys an answer by its exact number (``"18"``, ``"1/3"``) or, for anything else, by
its normalised LaTeX, which groups only answers written the same way. `unify_keys` then makes
SQL grouping and majority votes agree with equivalence:

1. an answer graded ``correct`` takes its gold's key (all correct answers share one key);
2. a non-numeric answer takes its canonical sympy form, computed in the verify workers
   (``\\sqrt{2}/2``, ``\\frac{\\sqrt2}{2}`` and ``\\frac{1}{\\sqrt{2}}`` all become ``sqrt(2)/2``);
3. within each problem, the remaining distinct keys that are not both exact numbers are
   compared with math-verify, and keys found equivalent are merged (transitively) to one of
   them: an exact number if there is one, else the shortest. At most `max_keys` non-numeric keys per problem are compared pairwise;
   beyond that, keys stay as steps 1-2 left them (counted in the returned stats).

Exact numbers are canonical already: two different exact numbers are never equivalent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from mathpref.verify.grade import gold_key
from mathpref.verify.latex import hostile_reason

NUMERIC_KEY = re.compile(r"^-?\d+(?:\.\d+)?(?:/\d+)?$")
MAX_KEYS_PER_PROBLEM = 12


def _preference(key: str) -> tuple:
    """Which key of a merged group names it: an exact number, else the shortest, else the
    first in order."""
    return (not _is_numeric(key), len(key), key)


def _is_numeric(key: str | None) -> bool:
    return key is not None and NUMERIC_KEY.match(key) is not None


def unify_keys(
    problem_ids: Sequence[str],
    golds: Sequence[str | None],
    answers: Sequence[str | None],
    keys: Sequence[str | None],
    statuses: Sequence[str],
    *,
    pool=None,
    timeout: float = 5.0,
    max_keys: int = MAX_KEYS_PER_PROBLEM,
) -> tuple[list[str | None], dict[str, int]]:
    """(new keys in row order, stats)."""
    from mathpref.verify.pool import shared_pool

    pool = pool or shared_pool()
    # 2. canonical sympy strings of every non-numeric answer and gold
    texts: dict[str, str | None] = {}
    for a, k in zip(answers, keys, strict=True):
        if k is not None and not _is_numeric(k) and a is not None:
            texts.setdefault(a, None)
    gold_keys: dict[str, str | None] = {}
    for g in set(golds):
        if g is not None:
            gk = gold_key(g)
            gold_keys[g] = gk
            if gk is not None and not _is_numeric(gk):
                texts.setdefault(g, None)
    todo = [t for t in texts if not hostile_reason(t)]
    for t, sym in zip(todo, pool.keys(todo, timeout=timeout) if todo else [], strict=True):
        texts[t] = sym
    stats = {"symbolic": sum(v is not None for v in texts.values()), "merged": 0, "skipped": 0}

    def canon(text: str | None, key: str | None) -> str | None:
        if key is None or _is_numeric(key) or text is None:
            return key
        return texts.get(text) or key

    out: list[str | None] = []
    for a, g, k, st in zip(answers, golds, keys, statuses, strict=True):
        if st == "correct" and g is not None and gold_keys.get(g) is not None:
            out.append(canon(g, gold_keys[g]))  # 1. the gold's key
        else:
            out.append(canon(a, k))
    # 3. merge equivalent keys within each problem
    reps: dict[str, dict[str, str]] = defaultdict(dict)  # problem -> key -> an answer text
    for pid, a, k, st in zip(problem_ids, answers, out, statuses, strict=True):
        if k is not None and a is not None and st != "correct":
            reps[pid].setdefault(k, a)
    pairs, owners = [], []
    for pid, by_key in reps.items():
        ks = sorted(by_key)
        sym = [k for k in ks if not _is_numeric(k)]
        if len(sym) > max_keys:
            stats["skipped"] += 1
            continue
        for i, a in enumerate(ks):
            for b in ks[i + 1 :]:
                if _is_numeric(a) and _is_numeric(b):
                    continue
                pairs.append((by_key[a], by_key[b]))
                owners.append((pid, a, b))
    if not pairs:
        return out, stats
    parent: dict[tuple[str, str], str] = {}

    def find(pid: str, k: str) -> str:
        while parent.get((pid, k), k) != k:
            k = parent[(pid, k)]
        return k

    for (pid, a, b), res in zip(owners, pool.run(pairs, timeout=timeout), strict=True):
        if res[0] == "correct":
            ra, rb = find(pid, a), find(pid, b)
            if ra != rb:
                lo, hi = sorted((ra, rb), key=_preference)
                parent[(pid, hi)] = lo
                stats["merged"] += 1
    return [
        find(pid, k) if k is not None else None for pid, k in zip(problem_ids, out, strict=True)
    ], stats
