"""``GenerationRequest.exclude_first``: the first generated token may not be one of these ids
(the syntax-check retry's next most likely start); later tokens are not constrained, and token
healing's allowed set loses the excluded ids too (healing is dropped when none is left)."""

from __future__ import annotations

import numpy as np

from qwen_lsp.engine.generate import GenerationRequest, SequenceState, decode, generate, prefill
from qwen_lsp.engine.healing import HealingConstraint, back_up

STEPS = 12


def _run(session, tokenizer, prompt, steps=STEPS, **kw):
    result, _kv = generate(
        session,
        tokenizer,
        GenerationRequest(list(prompt), max_new_tokens=steps, ignore_eos=True, **kw),
    )
    return result


def test_excluding_the_greedy_first_token_gives_the_second_best_one(tiny_model):
    _module, tokenizer, session, expected = tiny_model
    for case in expected["single"]:
        logits, _kv = prefill(session, case["prompt_ids"])
        order = np.argsort(-logits)
        greedy, second, third = (int(t) for t in order[:3])
        assert logits[second] > logits[third], case["name"]  # the second best is one token
        plain = _run(session, tokenizer, case["prompt_ids"])
        assert plain.tokens[0] == greedy == case["new_ids"][0], case["name"]
        result = _run(session, tokenizer, case["prompt_ids"], exclude_first=(greedy,))
        assert result.tokens[0] == second, case["name"]
        assert result.tokens[0] != greedy
        # The exclusion asks nothing else of the request: the same one, unconstrained, is
        # unchanged (the request is not modified in place).
        assert _run(session, tokenizer, case["prompt_ids"]).tokens == plain.tokens


def test_excluding_several_tokens_gives_the_best_remaining_one(tiny_model):
    _module, tokenizer, session, expected = tiny_model
    for case in expected["single"]:
        logits, _kv = prefill(session, case["prompt_ids"])
        order = [int(t) for t in np.argsort(-logits)[:4]]
        assert logits[order[2]] > logits[order[3]], case["name"]
        result = _run(session, tokenizer, case["prompt_ids"], 2, exclude_first=tuple(order[:2]))
        assert result.tokens[0] == order[2], case["name"]


def test_tokens_after_the_first_are_not_constrained(tiny_model):
    """Excluding every token that the greedy run produces at step 2 or later (but not its
    first token) changes nothing: the first token is the same, and the later steps still
    produce the excluded tokens."""
    _module, tokenizer, session, expected = tiny_model
    for case in expected["single"]:
        want = case["new_ids"][:STEPS]
        later = tuple(sorted(set(want[1:]) - {want[0]}))
        assert later, case["name"]
        result = _run(session, tokenizer, case["prompt_ids"], exclude_first=later)
        assert result.tokens == want, case["name"]
        assert set(later) <= set(result.tokens[1:])


def test_after_an_excluded_start_decoding_is_plain_greedy(tiny_model):
    """With the greedy first token excluded, the tokens after the substitute first token are
    exactly what unconstrained greedy decoding gives after it (the excluded token included,
    should the model pick it later)."""
    _module, tokenizer, session, expected = tiny_model
    for case in expected["single"]:
        greedy = case["new_ids"][0]
        result = _run(session, tokenizer, case["prompt_ids"], exclude_first=(greedy,))
        assert result.tokens[0] != greedy
        rest = _run(session, tokenizer, [*case["prompt_ids"], result.tokens[0]], STEPS - 1)
        assert result.tokens[1:] == rest.tokens, case["name"]


def test_exclusion_is_per_sequence_in_a_batch(tiny_model):
    """Two sequences of the same prompt decoded together: only the one whose request
    excludes the greedy first token starts elsewhere."""
    _module, tokenizer, session, expected = tiny_model
    case = expected["single"][0]
    greedy = case["new_ids"][0]
    states, caches, logits = [], [], []
    for exclude in ((), (greedy,)):
        first, kv = prefill(session, case["prompt_ids"])
        request = GenerationRequest(
            case["prompt_ids"], max_new_tokens=STEPS, ignore_eos=True, exclude_first=exclude
        )
        states.append(SequenceState(request, tokenizer))
        caches.append(kv)
        logits.append(first)
    decode(session, states, caches, logits)
    alone = _run(session, tokenizer, case["prompt_ids"], exclude_first=(greedy,))
    assert states[0].tokens == case["new_ids"][:STEPS]
    assert states[1].tokens == alone.tokens
    assert states[1].tokens[0] != greedy


def _healing_cases(tokenizer, expected):
    """(prompt backed up to a token boundary, removed bytes, allowed first tokens) of the
    cases whose prompt ends inside a token, with more than two tokens allowed."""
    out = []
    for case in expected["single"]:
        ids, heal = back_up(tokenizer, case["prompt_ids"])
        if heal:
            allowed = HealingConstraint(tokenizer, heal).allowed()
            if len(allowed) > 2:
                out.append((ids, heal, allowed))
    assert out, "no fixture prompt needs healing"
    return out


def test_with_healing_the_excluded_token_is_not_chosen_from_the_allowed_set(tiny_model):
    _module, tokenizer, session, expected = tiny_model
    for ids, heal, allowed in _healing_cases(tokenizer, expected):
        logits, _kv = prefill(session, ids)
        by_score = sorted(allowed, key=lambda t: -logits[t])
        best, runner_up = by_score[0], by_score[1]
        assert logits[best] > logits[runner_up] > logits[by_score[2]]
        plain = _run(session, tokenizer, ids, heal=heal)
        assert plain.tokens[0] == best  # healing chose it from the allowed set...
        assert int(np.argmax(logits)) != best  # ...where plain greedy would not have
        result = _run(session, tokenizer, ids, heal=heal, exclude_first=(best,))
        assert result.tokens[0] == runner_up  # still from the allowed set
        assert result.tokens[0] != best
        # Healing still holds: the output re-creates the removed bytes, and the text is
        # what follows them.
        data = tokenizer.decode_bytes(result.tokens)
        assert data.startswith(heal)
        assert result.text == tokenizer.decode(result.tokens)[len(heal.decode()) :]


def test_when_every_healing_token_is_excluded_healing_is_dropped(tiny_model):
    """Removed bytes that only one token re-creates: excluding it leaves nothing allowed, so
    the model picks freely (its best token other than the excluded one)."""
    _module, tokenizer, session, expected = tiny_model
    prompt = expected["single"][0]["prompt_ids"]
    logits, _kv = prefill(session, prompt)
    greedy = int(np.argmax(logits))
    only = next(
        t
        for t in range(tokenizer.vocab_size)
        if t != greedy
        and t not in tokenizer.stop_ids
        and tokenizer.token_bytes[t]
        and HealingConstraint(tokenizer, tokenizer.token_bytes[t]).allowed() == [t]
    )
    heal = tokenizer.token_bytes[only]
    assert _run(session, tokenizer, prompt, 2, heal=heal).tokens[0] == only
    result = _run(session, tokenizer, prompt, 2, heal=heal, exclude_first=(only,))
    assert result.tokens[0] == greedy
    # Healing is off for the rest of the run: the text is the whole decoded output.
    assert result.text == tokenizer.decode(result.tokens)
