"""The solution proper: where a completion's own answer ends and a continuation begins.

A model that has answered often keeps going: it invents the next chat turn (``User:``,
``<|im_start|>``, ``[INST]``, ``### Instruction``), the next numbered problem (``Problem 2:``,
``Question 3.``), an exercise for the reader, or, for a base model, the next few-shot example.
Answers in that text are not the model's answer to this problem. `solution_end` gives the offset
where the solution proper ends; extraction reads only the text before it.

A cut needs some text before it (a completion that *starts* with ``Question:`` is not cut at 0).
Format terminators also end the solution: the first ``#### X`` line of the GSM8K format (a line
whose value reads like a markdown heading, ``#### Step 2: ...``, is a heading, not an answer),
the Minerva ending ``The final answer is X. I hope it is correct.`` and the value line after a PRM800K
``# Answer`` heading.
"""

from __future__ import annotations

import re

# A follow-up question block (kept from the first extractor; the vector path cuts it too).
FOLLOWUP_RE = r"\n[ \t]*(?:Question|Q|Problem)[ \t]*:"

# Chat-turn markers: the model writes the next turn of a conversation.
_TURN = (
    r"(?m:^[ \t]*(?:#{1,4}[ \t]*)?(?:Human|User|Assistant|System|USER|ASSISTANT|SYSTEM)[ \t]*:)"
    r"|<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<\|start_header_id\|>"
    r"|<\|user\|>|<\|assistant\|>|<\|end\|>|</s>|\[INST\]|\[/INST\]"
    r"|(?m:^[ \t]*#{2,4}[ \t]*(?:Instruction|Input|Response|Human|User)\b)"
)
# Numbered follow-ups and invented exercises, at the start of a line.
_NUMBERED = (
    r"(?m:^[ \t]*(?:[*_#>]+[ \t]*)?(?:Problem|Question|Exercise|Q)[ \t]*#?[ \t]*\d+[ \t]*[:.)])"
)
_EXERCISE = (
    r"(?im:^[ \t]*(?:[*_#>]+[ \t]*)?(?:exercises?|practice (?:problems?|questions?)"
    r"|follow[- ]up (?:problems?|questions?)|try (?:it|this) yourself|now (?:you )?try"
    r"|your turn|(?:next|new|another|additional|similar) (?:problems?|questions?))\b)"
)
CUT_RE = _TURN + "|" + _NUMBERED + "|" + _EXERCISE
# `#### X` with X a capitalised word ("#### Step 2:") is a markdown heading, not an answer.
HASH_HEADING_RE = r"####[ \t]*[A-Z][a-z]"

# The same markers for Python's engine: every line-start alternative begins with a literal
# newline (the search starts after the first character, so `^` at 0 never matters), which lets
# it skip to the few characters that can start a match.
_LINE = r"\n[ \t]*(?:[*_#>]+[ \t]*)?"
_CUT = re.compile(
    r"\n[ \t]*(?:#{1,4}[ \t]*)?(?:Human|User|Assistant|System|USER|ASSISTANT|SYSTEM)[ \t]*:"
    r"|<\|(?:im_start|im_end|endoftext|eot_id|start_header_id|user|assistant|end)\|>"
    r"|</s>|\[/?INST\]"
    r"|\n[ \t]*#{2,4}[ \t]*(?:Instruction|Input|Response|Human|User)\b"
    + "|"
    + _LINE
    + r"(?:Problem|Question|Exercise|Q)[ \t]*#?[ \t]*\d+[ \t]*[:.)]"
    + "|"
    + _LINE
    + r"(?i:exercises?|practice (?:problems?|questions?)"
    r"|follow[- ]up (?:problems?|questions?)|try (?:it|this) yourself|now (?:you )?try"
    r"|your turn|(?:next|new|another|additional|similar) (?:problems?|questions?))\b"
    + "|"
    + FOLLOWUP_RE
)
_NONSPACE = re.compile(r"\S")
_TERMINATORS = (
    ("####", re.compile(r"(?m)^[ \t]*####[ \t]*(?![A-Z][a-z]+\b)(\S[^\n]*)$"), "hash_line"),
    (
        "hope it is correct",
        re.compile(r"(?i:final answer is)[^\n]{0,400}?I hope it is correct\.?"),
        "minerva_end",
    ),
    (
        "# Answer",
        re.compile(r"(?m)^#[ \t]+Answer[ \t]*\n[ \t]*\n[ \t]*\S[^\n]{0,80}$"),
        "answer_heading",
    ),
)


def solution_end(text: str) -> tuple[int, str | None]:
    """(offset where the solution proper ends, what ended it or None)."""
    first = _NONSPACE.search(text)
    if first is None:
        return len(text), None
    end, why = len(text), None
    m = _CUT.search(text, first.start() + 1)
    if m is not None:
        end, why = m.start(), "continuation"
    for literal, rx, name in _TERMINATORS:
        if literal not in text:
            continue
        t = rx.search(text, 0, end)
        if t is not None and t.end() < end and text[t.end() : end].strip():
            end, why = t.end(), name
    return end, why


def solution_text(text: str) -> str:
    """The completion up to the end of the solution proper."""
    return text[: solution_end(text)[0]]


# Markdown emphasis around an answer (`**42**`, `__42__`) is formatting, not a power or code.
_BOLD = re.compile(r"(?<![\w*\\])\*\*(?=[^\s*])([^*\n]{1,300}?)(?<=[^\s*])\*\*(?![\w*])")
_UNDER = re.compile(r"(?<![\w\\])__(?=[^\s_])([^_\n]{1,300}?)(?<=[^\s_])__(?!\w)")
EMPHASIS_RE = r"\*\*|__"


def strip_emphasis(text: str) -> str:
    if "**" not in text and "__" not in text:
        return text
    return _UNDER.sub(r"\1", _BOLD.sub(r"\1", text))
