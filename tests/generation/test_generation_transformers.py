"""The transformers backend end to end on the tiny random model (gibberish completions)."""

from __future__ import annotations

import string

import pytest

from mathpref.generation.arms import Arm
from mathpref.generation.backends.base import get_backend, render_messages
from mathpref.generation.requests import build_continuation_requests, build_requests

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def backend(tiny_model):
    b = get_backend("transformers", model=str(tiny_model), batch_size=4)
    yield b
    b.close()


def run(backend, requests):
    results = {r.request_id: r for r in backend.generate(requests)}
    assert sorted(results) == sorted(r.request_id for r in requests)
    return results


def test_end_to_end_fields(backend, arms, problems, tiny_tokenizer):
    reqs = build_requests(problems, arms)
    results = run(backend, reqs)
    assert backend.name == "transformers" and backend.model_id
    for req in reqs:
        res = results[req.request_id]
        assert res.rendered_prompt == render_messages(tiny_tokenizer, req.messages)
        assert res.rendered_prompt.startswith("<|begin|>")
        assert res.rendered_prompt.endswith("<|assistant|>\n")
        assert res.prompt_tokens == len(
            tiny_tokenizer(res.rendered_prompt, add_special_tokens=False)["input_ids"]
        )
        assert 0 <= res.completion_tokens <= req.max_new_tokens
        assert res.finish_reason in ("stop", "length")
        if res.finish_reason == "length":
            assert res.completion_tokens == req.max_new_tokens
        assert res.latency_s > 0 and res.error is None
        assert "<|end|>" not in res.completion
    sampled = [results[r.request_id].completion for r in reqs if r.arm == "precise"]
    assert len(set(sampled)) == len(sampled)  # distinct seeds, distinct samples


def test_deterministic_at_fixed_seed(backend, tiny_model, arms, problems):
    reqs = build_requests(problems, arms)
    first = run(backend, reqs)
    second = run(backend, reqs)
    assert {k: v.completion for k, v in first.items()} == {
        k: v.completion for k, v in second.items()
    }
    # A fresh backend processing the requests one by one (as a resumed run might) agrees.
    single = get_backend("transformers", model=str(tiny_model), batch_size=1)
    third = run(single, reqs[::-1])
    assert {k: v.completion for k, v in first.items()} == {
        k: v.completion for k, v in third.items()
    }


def test_greedy_ignores_seed(backend):
    arm_a = Arm(name="g", family="f", temperature=0.0, seed=1, n=2, max_new_tokens=10)
    reqs = build_requests([("p", "What is 7 * 6?")], [arm_a])
    assert reqs[0].seed != reqs[1].seed
    results = run(backend, reqs)
    assert results[reqs[0].request_id].completion == results[reqs[1].request_id].completion


def test_length_and_stop(backend):
    arm = Arm(name="s", family="f", temperature=1.0, seed=3, n=1, max_new_tokens=40)
    (req,) = build_requests([("p", "Tina has 12 eggs.")], [arm])
    (full,) = list(backend.generate([req]))
    assert full.finish_reason == "length" and full.completion_tokens == 40
    # A stop string taken from the middle of that completion: same sample, cut before it.
    text = full.completion
    printable = set(string.ascii_letters + string.digits)
    start = next(
        i
        for i in range(len(text) // 3, len(text) - 1)
        if text[i] in printable and text[i + 1] in printable
    )
    stop = text[start : start + 2]
    (stopped,) = list(backend.generate([arm_request(req, stop)]))
    assert stopped.finish_reason == "stop"
    assert stopped.completion == text[: text.find(stop)]
    assert stopped.completion_tokens < 40
    short = Arm(name="s", family="f", temperature=1.0, seed=3, n=1, max_new_tokens=5)
    (res,) = list(backend.generate(build_requests([("p", "Tina has 12 eggs.")], [short])))
    assert res.finish_reason == "length" and res.completion_tokens == 5


def arm_request(req, stop):
    from dataclasses import replace

    return replace(req, stop=(stop,))


def test_continuation_appends_prefix(backend, tiny_tokenizer, arms):
    prefix = "Step 1: 48 / 2 = 24."
    reqs = build_continuation_requests([("t1", "p1", "How many clips?", arms[0], prefix)], 2)
    results = run(backend, reqs)
    for req in reqs:
        res = results[req.request_id]
        base = render_messages(tiny_tokenizer, req.messages)
        assert res.rendered_prompt == base + prefix
        assert not res.completion.startswith(prefix)


def test_natural_end_of_sequence(tiny_model):
    backend = get_backend("transformers", model=str(tiny_model), batch_size=2)
    # Treat almost every token as end-of-sequence: the first sampled token ends the answer.
    backend.eos_ids = [backend.eos_ids[0], *range(8, len(backend.tokenizer))]
    arm = Arm(name="e", family="f", temperature=1.0, n=2, max_new_tokens=10)
    for res in backend.generate(build_requests([("p", "What is 2 + 3?")], [arm])):
        assert res.finish_reason == "stop" and res.completion_tokens == 1
