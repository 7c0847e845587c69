"""How the import stage finds each sample's problem, and the prompt echo of each completion."""

from __future__ import annotations

import pyarrow as pa

from mathpref.errors import SpecError
from mathpref.sources.echo import MIN_TAIL_TOKENS, NONE, Echo, find_echo


class ProblemMatcher:
    """sample -> (problem_id, the problem's question) or (None, None).

    * ``question``: the sample's question text equals a problem's (whitespace at the ends
      ignored); for a chat log whose user message wraps the question in a template, the one
      problem whose question the message contains.
    * ``problem_id``: the sample's key is a problem_id of the input.
    * ``id``: the sample's key is a problem's own dataset id (`source_id`, from the problems
      stage's `id_field`).
    """

    def __init__(self, problems: pa.Table, match: str):
        self.match = match
        pids = problems["problem_id"].to_pylist()
        questions = problems["question"].to_pylist()
        self.question_of = dict(zip(pids, questions, strict=True))
        self.by_question = {q.strip(): p for q, p in zip(questions, pids, strict=True)}
        self.by_id: dict[str, str] = {}
        if match == "id":
            ids = problems["source_id"].to_pylist() if "source_id" in problems.column_names else []
            self.by_id = {str(i): p for i, p in zip(ids, pids, strict=True) if i is not None}
            if not self.by_id:
                raise SpecError(
                    "import match = 'id' but the problems carry no dataset id: set id_field "
                    "on the problems stage"
                )
        self._contains: dict[str, str | None] = {}

    def __call__(self, s) -> tuple[str | None, str | None]:
        pid = None
        if s.problem_key is not None and self.match == "id":
            pid = self.by_id.get(s.problem_key)
        elif s.problem_key is not None and self.match == "problem_id":
            pid = s.problem_key if s.problem_key in self.question_of else None
        else:
            text = (s.question or "").strip()
            pid = self.by_question.get(text)
            if pid is None and s.messages is not None and text:
                pid = self._containing(text)
        return pid, (self.question_of.get(pid) if pid is not None else None)

    def _containing(self, text: str) -> str | None:
        if text not in self._contains:
            hits = [p for q, p in self.by_question.items() if q and q in text]
            self._contains[text] = hits[0] if len(hits) == 1 else None
        return self._contains[text]


def find_prompt_echo(s, question: str | None, mode: str) -> Echo | None:
    """The echo to cut from a sample's completion; None when `strip` finds none."""
    if mode == "keep":
        return Echo("keep", 0)
    if s.parent_key is not None or s.prefix is not None:
        return NONE  # a continuation's text follows its prefix, not a prompt
    if mode == "strip":
        echo = find_echo(s.completion, s.prompt, question, min_tail=1)
        return None if echo.rule == "none" else echo
    return find_echo(s.completion, s.prompt, question, min_tail=MIN_TAIL_TOKENS)
