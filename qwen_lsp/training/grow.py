"""Grow a trained decoder by whole layers without changing what it computes.

Capacity, not rounding, is what holds the embedded Python model back (``RUNS.md``, run 10), and
training a larger model from scratch costs several sessions of GPU time. Growing the trained one
reuses what it learned: each new layer is a copy of an existing one (so its attention and MLP
start from weights that already fit the residual stream there) with its two output projections
(``o_proj``, ``down_proj``) zeroed, so it adds nothing to the residual stream until training
moves it. The grown model computes exactly the original's logits at step 0 (the identity blocks
of LLaMA Pro, Wu et al., 2024; the copied weights as in SOLAR's depth up-scaling, Kim et al.,
2023), and continued training starts from the original's quality rather than below it.

    python -m qwen_lsp.training.grow --from WEIGHTS --to OUT --copy 6,7

inserts copies of layers 6 and 7 after layer 7 (a 14-layer model becomes 16 layers).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import torch

from qwen_lsp.training.model import QwenDecoder, load_hf, save_hf

# The projections that write into the residual stream: zero them and a layer is the identity.
OUTPUT_PROJECTIONS = ("self_attn.o_proj.weight", "mlp.down_proj.weight")


def grow_depth(model: QwenDecoder, copy: Sequence[int]) -> QwenDecoder:
    """A new model with copies of layers ``copy`` (in that order) inserted after the last of
    them, each with zeroed output projections: the same function with more layers.

    Raises ``ValueError`` for an empty or out-of-range ``copy``."""
    layers = model.shape.num_hidden_layers
    if not copy:
        raise ValueError("name at least one layer to copy")
    bad = [i for i in copy if not 0 <= i < layers]
    if bad:
        raise ValueError(f"no layer {bad[0]}: the model has {layers} (0..{layers - 1})")
    after = max(copy)
    order = [*range(after + 1), *copy, *range(after + 1, layers)]
    new = QwenDecoder(dataclasses.replace(model.shape, num_hidden_layers=len(order)))
    old_sd = model.hf_state_dict()
    sd: dict[str, torch.Tensor] = {
        k: v.clone() for k, v in old_sd.items() if not k.startswith("model.layers.")
    }
    grown = set(range(after + 1, after + 1 + len(copy)))
    for new_index, old_index in enumerate(order):
        prefix = f"model.layers.{old_index}."
        for key, value in old_sd.items():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            tensor = value.clone()
            if new_index in grown and rest in OUTPUT_PROJECTIONS:
                tensor.zero_()
            sd[f"model.layers.{new_index}.{rest}"] = tensor
    new.load_hf_state_dict(sd)
    return new.to(next(model.parameters()).dtype)


def main(argv: list[str] | None = None) -> int:
    """CLI: grow a transformers-format folder into another."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--from", dest="src", type=Path, required=True, help="weights folder")
    ap.add_argument("--to", dest="dst", type=Path, required=True, help="output folder")
    ap.add_argument("--copy", required=True, help="layers to copy, comma-separated (e.g. 6,7)")
    args = ap.parse_args(argv)
    model = load_hf(args.src)
    grown = grow_depth(model, [int(x) for x in args.copy.split(",") if x.strip()])
    save_hf(grown, args.dst)
    print(
        json.dumps(
            {
                "layers": [model.shape.num_hidden_layers, grown.shape.num_hidden_layers],
                "parameters": [model.shape.num_parameters(), grown.shape.num_parameters()],
                "out": str(args.dst),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
