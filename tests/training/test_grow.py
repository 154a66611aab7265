"""Growing a decoder by identity layers: same logits, more layers, and the new layers train."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch

from qwen_lsp.training.grow import grow_depth


def test_grown_model_computes_the_same_logits(small_decoder) -> None:  # type: ignore[no-untyped-def]
    model = small_decoder(5).eval()
    layers = model.shape.num_hidden_layers
    grown = grow_depth(model, [0, 1]).eval()
    assert grown.shape.num_hidden_layers == layers + 2
    ids = torch.randint(7, 512, (2, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(grown(ids), model(ids), rtol=1e-5, atol=1e-5)
    # The copies sit after layer 1 and start from layers 0 and 1's weights.
    sd = grown.hf_state_dict()
    src = model.hf_state_dict()
    assert torch.equal(
        sd["model.layers.2.self_attn.q_proj.weight"], src["model.layers.0.self_attn.q_proj.weight"]
    )
    assert torch.equal(
        sd["model.layers.3.mlp.up_proj.weight"], src["model.layers.1.mlp.up_proj.weight"]
    )
    assert not sd["model.layers.2.mlp.down_proj.weight"].any()
    # The layers after the insertion keep their weights under new indices.
    one = grow_depth(model, [0]).hf_state_dict()
    assert torch.equal(
        one[f"model.layers.{layers}.mlp.down_proj.weight"],
        src[f"model.layers.{layers - 1}.mlp.down_proj.weight"],
    )


def test_copies_without_zeroed_outputs_would_change_the_function(small_decoder) -> None:  # type: ignore[no-untyped-def]
    """The zeroed projections are what keeps the function: with them restored, logits move."""
    model = small_decoder(5).eval()
    grown = grow_depth(model, [0])
    with torch.no_grad():
        grown.model.layers[1].mlp.down_proj.weight.copy_(model.model.layers[0].mlp.down_proj.weight)
    ids = torch.randint(7, 512, (1, 20), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert not torch.allclose(grown(ids), model(ids), atol=1e-3)


def test_the_new_layers_learn(small_decoder) -> None:  # type: ignore[no-untyped-def]
    grown = grow_depth(small_decoder(5), [0])
    ids = torch.randint(7, 512, (4, 33), generator=torch.Generator().manual_seed(3))
    loss = torch.nn.functional.cross_entropy(grown(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten())
    loss.backward()
    assert grown.model.layers[1].mlp.down_proj.weight.grad.abs().sum() > 0
    assert grown.model.layers[1].self_attn.o_proj.weight.grad.abs().sum() > 0


def test_bad_layer_lists_are_refused(small_decoder) -> None:  # type: ignore[no-untyped-def]
    model = small_decoder(5)
    with pytest.raises(ValueError, match="at least one"):
        grow_depth(model, [])
    with pytest.raises(ValueError, match="no layer 99"):
        grow_depth(model, [99])
