"""Completion-based step labels (Math-Shepherd style), searched by bisection (as OmegaPRM does).

Prefix i is the solution through step i. From it the backend samples `k` continuations, each graded
with `mathpref.verify.grade` (prefix + continuation against the gold). Prefix i *reaches* the gold
when any continuation does (hard label; the share is the soft score, stored in `step_scores`, null
for steps not probed). The first wrong step is the first prefix that no longer reaches the gold.

What is known without asking: the empty prefix is assumed to reach the gold, and the last prefix
is the solution itself, graded as it stands (an incorrect solution does not reach it). A prefix
that reaches the gold implies every shorter prefix can (the solution's own next steps are one such
continuation), so the search keeps `lo` = longest prefix known to reach, `hi` = shortest known not
to, and asks the midpoint, one prefix per item and round, every item's round in one batch.

Monotonicity rule: bisection ends at adjacent lo, hi. The boundary is then confirmed by asking the
next prefix hi+1 (unless it is the last, already known). When hi+1 reaches the gold again, the
miss at hi was a sampling miss (by the implication above), so lo := hi+1 and the search resumes
above it; the step reported is the first `hi` whose next prefix also fails (or which is the last
step). An incorrect solution whose every earlier prefix reaches the gold reports its last step
(typically only the final answer is wrong); a 1-step incorrect solution is step 0 with no request.
Every continuation empty -> unverifiable. A correct solution is labelled with no wrong step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from mathpref.steplabels.base import (
    STATUS_LABELLED,
    STATUS_UNVERIFIABLE,
    Generate,
    StepItem,
    StepLabel,
)

# The arm name continuation requests carry (request ids and seeds derive from it).
ARM = "step-labels"

Probe = Callable[[list[tuple[int, int]]], dict[tuple[int, int], list[bool]]]


def item_text(item: StepItem) -> str:
    return item.text if getattr(item, "text", "") else "\n".join(item.steps)


def prefix_through(item: StepItem, i: int) -> str:
    """The solution text through step i (i < 0: empty), cut from the item's own text."""
    from mathpref.verify.steps import prefix_before_step

    if i < 0:
        return ""
    text = item_text(item)
    if i + 1 >= len(item.steps):
        return text.replace("\r\n", "\n")
    return prefix_before_step(text, i + 1)


@dataclasses.dataclass
class _Search:
    n: int
    lo: int = -1
    hi: int = 0
    asked: dict = dataclasses.field(default_factory=dict)  # step -> list[bool]
    recovered: list = dataclasses.field(default_factory=list)
    done: bool = False

    def next_probe(self, confirm: bool) -> int | None:
        if self.hi - self.lo > 1:
            return (self.lo + self.hi) // 2
        nxt = self.hi + 1
        if not confirm or nxt >= self.n - 1 or nxt in self.asked:
            self.done = True
            return None
        return nxt

    def record(self, step: int, hits: list[bool]) -> None:
        self.asked[step] = hits
        if step > self.hi:  # the confirming neighbour of a boundary
            if not any(hits):
                self.done = True
                return
            self.recovered.append(self.hi)
            self.lo = step
            above = [s for s, h in self.asked.items() if s > step and not any(h)]
            self.hi = min(above, default=self.n - 1)
        elif any(hits):
            self.lo = step
        else:
            self.hi = step


def search(n: int, solved: bool, probe: Probe, *, confirm: bool = True, items: int = 1):
    """Bisect `items` solutions of `n[j]` steps (n may be an int for all); `solved[j]`: the whole
    solution reaches the gold. `probe([(item, step), ...])` returns the k hit flags per asked
    pair. Returns per item (first_wrong_step | None, {step: hits}, recovered boundaries)."""
    ns = [n] * items if isinstance(n, int) else list(n)
    ok = [solved] * items if isinstance(solved, bool) else list(solved)
    states = []
    for size, good in zip(ns, ok, strict=True):
        s = _Search(size, hi=size - 1)
        s.done = good or size <= 1
        states.append(s)
    while True:
        ask = [(j, s.next_probe(confirm)) for j, s in enumerate(states) if not s.done]
        ask = [(j, step) for j, step in ask if step is not None]
        if not ask:
            break
        for (j, step), hits in probe(ask).items():
            states[j].record(step, hits)
    out = []
    for s, good in zip(states, ok, strict=True):
        first = None if good or s.n == 0 else s.hi
        out.append((first, s.asked, s.recovered))
    return out


def label(items: Sequence[StepItem], config, generate: Generate | None) -> list[StepLabel]:
    """Label `items` (see the module docstring); `config` gives k, temperature, top_p,
    max_new_tokens, seed, confirm. Continuations asked are kept in `label.asked` for the
    stage to write out."""
    return label_with_continuations(items, config, generate)[0]


def label_with_continuations(items, config, generate):
    """(labels, asked): asked = [(item index, step, request, text, reached)] in request order."""
    from mathpref.generation.arms import Arm
    from mathpref.generation.requests import build_continuation_requests
    from mathpref.verify.grade import grade

    if generate is None:
        raise ValueError("method 'completions' needs a generation backend (backend = ...)")
    k = int(config.k)
    arm = Arm(name=ARM, family=ARM, seed=int(config.seed))
    usable = [j for j, it in enumerate(items) if it.steps and it.gold]
    solved = {j: grade(items[j].gold, item_text(items[j])).is_correct for j in usable}
    asked: list = []
    empty: dict[int, int] = {}

    def probe(pairs):
        reqs, where = [], []
        for j, step in pairs:
            it = items[usable[j]]
            prefix = prefix_through(it, step)
            batch = build_continuation_requests(
                [(it.trajectory_id, it.problem_id, it.question, arm, prefix)],
                k,
                temperature=config.temperature,
                top_p=config.top_p,
                max_new_tokens=config.max_new_tokens,
            )
            if it.messages:  # asked exactly as the parent was
                batch = [dataclasses.replace(r, messages=tuple(it.messages)) for r in batch]
            reqs += batch
            where += [(j, step, prefix)] * len(batch)
        texts = generate(reqs)
        if len(texts) != len(reqs):
            raise ValueError(f"backend returned {len(texts)} completions for {len(reqs)} requests")
        out: dict = {}
        for (j, step, prefix), req, text in zip(where, reqs, texts, strict=True):
            hit = bool(text.strip()) and grade(items[usable[j]].gold, prefix + text).is_correct
            empty[j] = empty.get(j, 0) + (not text.strip())
            out.setdefault((j, step), []).append(hit)
            asked.append((usable[j], step, req, text, hit))
        return out

    found = search(
        [len(items[j].steps) for j in usable],
        [solved[j] for j in usable],
        probe,
        confirm=config.confirm,
        items=len(usable),
    )
    labels: list[StepLabel | None] = [None] * len(items)
    for j, (first, probed, recovered) in zip(range(len(usable)), found, strict=True):
        it, spent = items[usable[j]], k * len(probed)
        scores = [None] * len(it.steps)
        for step, hits in probed.items():
            scores[step] = sum(hits) / len(hits)
        scores[-1] = 1.0 if solved[usable[j]] else 0.0
        detail = f"probed {sorted(probed)}; k={k}"
        if recovered:
            detail += f"; sampling miss at {recovered} (a longer prefix reached the gold)"
        if spent and empty.get(j, 0) == spent:
            labels[usable[j]] = StepLabel(
                STATUS_UNVERIFIABLE, None, None, spent, "every continuation was empty"
            )
            continue
        labels[usable[j]] = StepLabel(STATUS_LABELLED, first, tuple(scores), spent, detail)
    for j, it in enumerate(items):
        if labels[j] is None:
            why = "no steps" if not it.steps else "no gold answer"
            labels[j] = StepLabel(STATUS_UNVERIFIABLE, None, None, 0, why)
    return labels, asked
