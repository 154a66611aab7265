"""The engine reproduces transformers' own greedy tokens on real Qwen2/Qwen3 exports
(tests/fixtures): with and without the KV cache, batched and unbatched."""

from __future__ import annotations

import numpy as np

from qwen_lsp.engine.generate import GenerationRequest, SequenceState, decode, generate, prefill


def test_graph_shape_is_read_from_the_model(tiny_model):
    _module, tokenizer, session, _expected = tiny_model
    assert (session.num_layers, session.kv_heads, session.head_dim) == (2, 2, 16)
    assert session.vocab_size == tokenizer.vocab_size == 1536


def test_tokenizer_matches_transformers_prompt_ids(tiny_model):
    _module, tokenizer, _session, expected = tiny_model
    plain = [c for c in expected["single"] if "<|" not in c["prompt"]]
    assert len(plain) >= 3
    for case in plain:
        assert tokenizer.encode(case["prompt"]) == case["prompt_ids"], case["name"]
    for case in expected["single"]:
        assert tokenizer.decode(case["new_ids"]) == case["new_text"]


def test_greedy_with_kv_cache(tiny_model):
    _module, tokenizer, session, expected = tiny_model
    for case in expected["single"]:
        result, _ = generate(
            session,
            tokenizer,
            GenerationRequest(case["prompt_ids"], max_new_tokens=16, ignore_eos=True),
        )
        assert result.tokens == case["new_ids"], case["name"]


def test_greedy_without_kv_cache(tiny_model):
    _module, _tokenizer, session, expected = tiny_model
    for case in expected["single"][:4]:
        ids = list(case["prompt_ids"])
        for want in case["new_ids"]:
            logits, _ = session.forward(
                np.array([ids]),
                np.ones((1, len(ids)), dtype=np.int64),
                np.arange(len(ids))[None],
                session.empty_cache(),
            )
            assert int(np.argmax(logits[0])) == want
            ids.append(want)


def test_last_logits_match_transformers(tiny_model):
    _module, _tokenizer, session, expected = tiny_model
    want = expected["last_logits"]
    ids = next(c for c in expected["single"] if c["name"] == want["name"])["prompt_ids"]
    logits, _ = session.forward(
        np.array([ids]),
        np.ones((1, len(ids)), dtype=np.int64),
        np.arange(len(ids))[None],
        session.empty_cache(),
    )
    assert np.max(np.abs(logits[0] - np.array(want["logits"]))) < 1e-4


def test_left_padded_batch_forward_matches_transformers(tiny_model):
    """The graph itself, fed transformers' padded batch (mask + position ids), gives its tokens."""
    _module, _tokenizer, session, expected = tiny_model
    batch = expected["batch"]
    ids = np.array(batch["input_ids"])
    mask = np.array(batch["attention_mask"])
    pos = np.array(batch["position_ids"])
    kv = session.empty_cache(len(ids))
    outputs = [[] for _ in ids]
    for _ in range(len(batch["new_ids"][0])):
        logits, kv = session.forward(ids, mask, pos, kv)
        nxt = np.argmax(logits, axis=-1)
        for row, token in enumerate(nxt):
            outputs[row].append(int(token))
        ids = nxt[:, None]
        mask = np.concatenate([mask, np.ones((len(ids), 1), dtype=np.int64)], axis=1)
        pos = pos[:, -1:] + 1
    assert outputs == batch["new_ids"]


def test_engine_batched_decode_equals_one_by_one(tiny_model):
    """Requests prefilled separately and decoded together give what each gives alone."""
    _module, tokenizer, session, expected = tiny_model
    cases = expected["single"][:5]
    states, caches, logits = [], [], []
    for case in cases:
        first, kv = prefill(session, case["prompt_ids"])
        states.append(
            SequenceState(
                GenerationRequest(case["prompt_ids"], max_new_tokens=16, ignore_eos=True), tokenizer
            )
        )
        caches.append(kv)
        logits.append(first)
    decode(session, states, caches, logits)
    assert [s.tokens for s in states] == [c["new_ids"] for c in cases]


def test_kv_prefix_reuse_gives_the_same_tokens(tiny_model):
    _module, tokenizer, session, expected = tiny_model
    case = max(expected["single"], key=lambda c: len(c["prompt_ids"]))
    prompt = case["prompt_ids"]
    _, full_kv = prefill(session, prompt)
    for keep in (1, len(prompt) // 2, len(prompt) - 1):
        result, _ = generate(
            session,
            tokenizer,
            GenerationRequest(prompt, max_new_tokens=16, ignore_eos=True),
            full_kv.truncated(keep),
        )
        assert result.tokens == case["new_ids"]
        assert result.reused_tokens == keep
