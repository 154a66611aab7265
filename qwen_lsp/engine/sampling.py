"""Picking the next token: greedy, or temperature + top-p with a seeded generator."""

from __future__ import annotations

import numpy as np


def pick(
    logits: np.ndarray,
    allowed: list[int] | None,
    temperature: float,
    top_p: float,
    rng: np.random.Generator | None,
) -> int:
    """The next token from one row of logits, restricted to ``allowed`` when given."""
    if allowed is not None:
        if not allowed:
            raise ValueError("no token is allowed")
        ids = np.asarray(allowed, dtype=np.int64)
        row = logits[ids]
    else:
        ids = None
        row = logits
    if temperature <= 0 or rng is None:
        best = int(np.argmax(row))
        return int(ids[best]) if ids is not None else best
    scaled = (row - row.max()) / temperature
    probs = np.exp(scaled.astype(np.float64))
    probs /= probs.sum()
    order = np.argsort(-probs)
    cumulative = np.cumsum(probs[order])
    keep = order[: int(np.searchsorted(cumulative, top_p) + 1)]
    kept = probs[keep] / probs[keep].sum()
    choice = int(keep[rng.choice(len(keep), p=kept)])
    return int(ids[choice]) if ids is not None else choice
