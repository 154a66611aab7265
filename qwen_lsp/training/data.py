"""Token files and the FIM sampler.

**Token files** (``encode_corpus``): per split, ``{split}.tokens.u16`` is a uint16 memmap of every
document's tokens followed by ``<|endoftext|>`` (so a plain slice of it is ordinary packed LM
data), ``{split}.docs.npy`` holds ``[start, length, package_id, path_start, path_length]`` per
document (documents of a package are contiguous), ``{split}.paths.u16`` the tokens of each
document's ``path + "\\n"``. ``packages.json`` names the package ids.

**Samples** (docs/model-module.md, byte for byte): with ``P`` / ``M`` / ``S`` the text before the
cursor, the text to generate and the text after it,

* PSM: ``<|fim_prefix|> P <|fim_suffix|> S <|fim_middle|> M <|endoftext|>``
* SPM: ``<|fim_prefix|><|fim_suffix|> S <|fim_middle|> P M <|endoftext|>``
* prefix only: ``P M`` (a window of the file, ``<|endoftext|>`` when it reaches the file's end)

optionally preceded by cross-file blocks ``<|file_sep|>path\\n snippet \\n`` (line-aligned chunks
of other files of the same package) and ``<|file_sep|>current/path\\n``.

Cuts are placed at token boundaries of the document's own tokenization, so ``P + M`` is exactly
the natural tokenization of that text (what SPM requires) and ``P``, ``S``, ``M`` are what
tokenizing them separately gives at a token boundary (PSM). A cursor inside a token is the
engine's token healing's job (it backs the prompt up to a token boundary), so training only
ever needs boundary cuts. The middle is chosen line-aware most of the time, because the
product's main case is a cursor after a line's indentation generating that line:

* ``line``: a whole line, starting after its indentation (the suffix starts with its newline);
* ``rest``: the rest of a line from a point inside it;
* ``lines``: two to six lines from a line start;
* ``block``: from a line start to the end of its block (lines indented at least as much);
* ``random``: a random token span (the FIM paper's objective).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qwen_lsp.training import EOT_ID, FILE_SEP_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID
from qwen_lsp.training.corpus import read_corpus
from qwen_lsp.training.tokenizer import TokenTables, encode_texts

U16 = np.uint16


# -- token files -------------------------------------------------------------------------------
def encode_corpus(
    tok: Any,
    corpus_dir: str | Path,
    out_dir: str | Path,
    splits: Sequence[str] = ("train", "heldout"),
    batch_docs: int = 4096,
    score: Callable[[Sequence[str]], list[float]] | None = None,
) -> dict[str, Any]:
    """Encode ``{split}.jsonl`` (or ``.jsonl.xz``) of a corpus folder into token files; with
    ``score`` (texts -> one float per text) also ``{split}.scores.npy``, per document, for
    :attr:`FimConfig.score_boost`."""
    if tok.get_vocab_size() > 65535:
        raise ValueError("uint16 token files need a vocabulary below 65,536")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pkg_file = out / "packages.json"
    packages: list[str] = json.loads(pkg_file.read_text()) if pkg_file.exists() else []
    pkg_ids = {p: i for i, p in enumerate(packages)}
    stats: dict[str, Any] = {}
    for split in splits:
        src = Path(corpus_dir) / f"{split}.jsonl"
        if not src.exists() and Path(f"{src}.xz").exists():
            src = Path(f"{src}.xz")
        if not src.exists():
            continue
        records = sorted(read_corpus(src), key=lambda r: (r["package"], r["path"]))
        docs: list[list[int]] = []
        pos, ppos = 0, 0
        with (
            open(out / f"{split}.tokens.u16", "wb") as ft,
            open(out / f"{split}.paths.u16", "wb") as fp,
        ):
            for start in range(0, len(records), batch_docs):
                chunk = records[start : start + batch_docs]
                texts = [r["text"] for r in chunk]
                paths = [r["path"] + "\n" for r in chunk]
                for r, ids, pids in zip(
                    chunk, encode_texts(tok, texts), encode_texts(tok, paths), strict=True
                ):
                    if r["package"] not in pkg_ids:
                        pkg_ids[r["package"]] = len(packages)
                        packages.append(r["package"])
                    arr = np.asarray([*ids, EOT_ID], dtype=U16)
                    parr = np.asarray(pids, dtype=U16)
                    ft.write(arr.tobytes())
                    fp.write(parr.tobytes())
                    docs.append([pos, len(ids), pkg_ids[r["package"]], ppos, len(pids)])
                    pos += len(arr)
                    ppos += len(parr)
        np.save(out / f"{split}.docs.npy", np.asarray(docs, dtype=np.int64).reshape(-1, 5))
        if score is not None:
            values = np.asarray(score([r["text"] for r in records]), dtype=np.float32)
            np.save(out / f"{split}.scores.npy", values)
        chars = sum(len(r["text"]) for r in records)
        stats[split] = {
            "docs": len(docs),
            "tokens": pos,
            "chars": chars,
            "chars_per_token": chars / max(1, pos),
        }
    pkg_file.write_text(json.dumps(packages))
    meta_file = out / "meta.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    meta.update({"vocab_size": tok.get_vocab_size(), "splits": {**meta.get("splits", {}), **stats}})
    meta_file.write_text(json.dumps(meta, indent=1))
    return stats


@dataclass
class TokenData:
    """One split's token files, memory-mapped."""

    tokens: np.ndarray
    docs: np.ndarray  # [n, 5]: start, length, package, path_start, path_length
    paths: np.ndarray
    scores: np.ndarray | None = None  # per document (``encode_corpus(score=...)``), if any

    @classmethod
    def open(cls, data_dir: str | Path, split: str) -> TokenData:
        """Open ``{split}.*`` of a token folder read-only."""
        d = Path(data_dir)
        tokens = np.memmap(d / f"{split}.tokens.u16", dtype=U16, mode="r")
        paths_file = d / f"{split}.paths.u16"
        paths = (
            np.memmap(paths_file, dtype=U16, mode="r")
            if paths_file.stat().st_size
            else np.zeros(0, U16)
        )
        scores_file = d / f"{split}.scores.npy"
        scores = np.load(scores_file) if scores_file.exists() else None
        return cls(tokens, np.load(d / f"{split}.docs.npy"), paths, scores)

    @property
    def num_tokens(self) -> int:
        """Tokens in the stream, separators included."""
        return int(self.tokens.shape[0])

    def windows(self, n: int, length: int) -> list[list[int]]:
        """``n`` windows of ``length`` tokens spread evenly over the stream (real text for
        logit checks and quantization calibration)."""
        step = max(1, (self.num_tokens - length) // n)
        return [
            self.tokens[i * step : i * step + length].astype(np.int64).tolist() for i in range(n)
        ]


# -- sampling ----------------------------------------------------------------------------------
@dataclass
class FimConfig:
    """Mixture of sample kinds; see the module docstring."""

    seq_len: int = 2048
    p_plain_sequence: float = 0.25  # whole sequence = a slice of the packed stream
    order_weights: dict[str, float] = field(
        default_factory=lambda: {"spm": 0.45, "psm": 0.35, "prefix": 0.20}
    )
    p_crossfile: float = 0.3
    span_weights: dict[str, float] = field(
        default_factory=lambda: {
            "line": 0.35,
            "rest": 0.15,
            "lines": 0.15,
            "block": 0.10,
            "random": 0.25,
        }
    )
    max_middle_tokens: int = 256
    # Documents are drawn in proportion to tokens x (1 + score_boost x score), with the
    # token folder's per-document scores (``selection.py``; an annealing stage's emphasis on
    # documented short functions). 0: in proportion to tokens alone.
    score_boost: float = 0.0
    max_block_lines: int = 12
    crossfile_share: float = 0.35  # at most this share of a sample's budget goes to snippets

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


class FimSampler:
    """Builds training sequences of ``seq_len + 1`` tokens (inputs and shifted labels)."""

    def __init__(self, data: TokenData, tables: TokenTables, cfg: FimConfig, seed: int = 0) -> None:
        self.data = data
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        self.has_nl = tables.has_newline
        self.is_space = tables.is_space
        self.width = tables.tail_width
        docs = data.docs
        weight = (docs[:, 1] + 1).astype(np.float64)  # token-uniform document choice
        if cfg.score_boost:
            if data.scores is None or len(data.scores) != len(docs):
                raise ValueError("score_boost needs the token folder's per-document scores")
            weight *= 1.0 + cfg.score_boost * np.clip(data.scores.astype(np.float64), 0.0, 1.0)
        self.doc_ends = np.cumsum(weight)
        pkg = docs[:, 2]
        change = np.flatnonzero(np.diff(pkg)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(pkg)]])
        self.pkg_range = (
            {int(pkg[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
            if len(pkg)
            else {}
        )
        self.newline_id = self._newline_id(tables)
        self.orders = list(cfg.order_weights)
        self.order_p = np.array([cfg.order_weights[k] for k in self.orders], float)
        self.order_p /= self.order_p.sum()
        self.spans = list(cfg.span_weights)
        self.span_p = np.array([cfg.span_weights[k] for k in self.spans], float)
        self.span_p /= self.span_p.sum()

    @staticmethod
    def _newline_id(tables: TokenTables) -> int:
        for i, t in enumerate(tables.text):
            if t == "\n":
                return i
        raise ValueError("the tokenizer has no plain newline token")

    # -- helpers -------------------------------------------------------------------------------
    def _doc_tokens(self, d: int) -> np.ndarray:
        start, length = int(self.data.docs[d, 0]), int(self.data.docs[d, 1])
        return np.asarray(self.data.tokens[start : start + length], dtype=np.int64)

    def _path_tokens(self, d: int) -> np.ndarray:
        s, n = int(self.data.docs[d, 3]), int(self.data.docs[d, 4])
        return np.asarray(self.data.paths[s : s + n], dtype=np.int64)

    def line_starts(self, w: np.ndarray, at_line_start: bool = True) -> np.ndarray:
        """Indices of tokens that start a line's text (first non-space token after a newline)."""
        sp = self.is_space[w]
        nonsp = np.flatnonzero(~sp)
        if len(nonsp) == 0:
            return nonsp
        cum = np.cumsum(self.has_nl[w])
        prev = np.concatenate([[-1], nonsp[:-1]])
        before = np.where(nonsp > 0, cum[np.maximum(nonsp - 1, 0)], 0)
        at_prev = np.where(prev >= 0, cum[np.maximum(prev, 0)], 0)
        newline_between = (before - at_prev) > 0
        newline_between[0] |= at_line_start  # the window itself starts at a line start
        return nonsp[newline_between]

    def _indent(self, w: np.ndarray, k: int) -> int:
        """Indentation width of the line whose text starts at token ``k``."""
        width, j = 0, k - 1
        while j >= 0 and self.is_space[w[j]]:
            width += int(self.width[w[j]])
            if self.has_nl[w[j]]:
                break
            j -= 1
        return width

    def _next_newline(self, w: np.ndarray, i: int, count: int = 1) -> int:
        nl = np.flatnonzero(self.has_nl[w[i:]])
        if len(nl) < count:
            return len(w)
        return i + int(nl[count - 1])

    def choose_span(self, w: np.ndarray, mode: str | None = None) -> tuple[int, int, str]:
        """``(i, j, mode)``: the middle is ``w[i:j]`` (never empty)."""
        n = len(w)
        mode = mode or str(self.rng.choice(self.spans, p=self.span_p))
        if mode != "random":
            starts = self.line_starts(w)
            if len(starts) == 0:
                mode = "random"
        if mode == "line":
            k = int(self.rng.choice(starts))
            return k, self._next_newline(w, k), mode
        if mode == "lines":
            k = int(self.rng.choice(starts))
            return k, self._next_newline(w, k, int(self.rng.integers(2, 7))), mode
        if mode == "rest":
            inner = np.flatnonzero(~self.is_space[w])
            i = int(self.rng.choice(inner))
            return i, self._next_newline(w, i), mode
        if mode == "block":
            k = int(self.rng.choice(starts))
            d = self._indent(w, k)
            later = starts[starts > k][: self.cfg.max_block_lines]
            end_line = k
            for s in later:
                if self._indent(w, int(s)) < d:
                    break
                end_line = int(s)
            return k, self._next_newline(w, end_line), mode
        i = int(self.rng.integers(0, n))
        length = int(math.exp(self.rng.uniform(0, math.log(self.cfg.max_middle_tokens))))
        return i, min(n, i + max(1, length)), "random"

    def _window(self, d: int, budget: int) -> tuple[np.ndarray, bool]:
        """A window of document ``d`` of at most ``budget`` tokens, starting at a line start
        (preferably a top-level one, where an engine's syntax-aware cut would also start) and
        ending at a line end; and whether it reaches the end of the document."""
        toks = self._doc_tokens(d)
        if len(toks) <= budget:
            return toks, True
        starts = self.line_starts(toks[: len(toks) - max(1, budget // 4)])
        starts = starts[starts > 0]
        top = starts[(self.width[toks[starts - 1]] == 0) & self.has_nl[toks[starts - 1]]]
        cand = top if len(top) else starts
        s = 0 if (len(cand) == 0 or self.rng.random() < 0.2) else int(self.rng.choice(cand))
        w = toks[s : s + budget]
        ends = np.flatnonzero(self.has_nl[w])
        if s + budget < len(toks) and len(ends) and ends[-1] > budget // 2:
            w = w[: ends[-1]]
        return w, s + len(w) >= len(toks)

    def _snippet(self, d: int, budget: int) -> np.ndarray:
        """A chunk of document ``d`` from a line start to a line end, at most ``budget``."""
        toks = self._doc_tokens(d)
        if len(toks) == 0 or budget <= 8:
            return toks[:0]
        n = int(self.rng.integers(min(32, budget), budget + 1))
        if len(toks) > n:
            starts = self.line_starts(toks[: len(toks) - n // 2])
            s = int(self.rng.choice(starts)) if len(starts) else 0
            toks = toks[s : s + n]
        ends = np.flatnonzero(self.has_nl[toks])
        if len(ends) and ends[-1] > 0:
            toks = toks[: ends[-1]]
        return toks

    def _crossfile(self, d: int, budget: int) -> list[int]:
        pkg = int(self.data.docs[d, 2])
        lo, hi = self.pkg_range.get(pkg, (d, d + 1))
        if hi - lo < 2:
            return []
        out: list[int] = []
        for _ in range(int(self.rng.integers(1, 4))):
            other = int(self.rng.integers(lo, hi))
            if other == d:
                continue
            path = self._path_tokens(other)
            room = budget - len(out) - len(path) - 2
            if room < 16:
                break
            snip = self._snippet(other, min(room, 384))
            if len(snip) == 0:
                continue
            out += [FILE_SEP_ID, *path.tolist(), *snip.tolist(), self.newline_id]
        return out

    # -- samples -------------------------------------------------------------------------------
    def choose_document(self) -> int:
        """A document index, drawn in proportion to its tokens (x its score weight)."""
        pos = self.rng.uniform(0.0, float(self.doc_ends[-1]))
        return min(int(np.searchsorted(self.doc_ends, pos, side="right")), len(self.doc_ends) - 1)

    def sample(self, budget: int) -> tuple[list[int], list[int], str]:
        """One self-contained sample of at most ``budget`` tokens: ``(tokens, middle_mask, kind)``."""
        d = self.choose_document()
        order = str(self.rng.choice(self.orders, p=self.order_p))
        ctx: list[int] = []
        if self.rng.random() < self.cfg.p_crossfile:
            ctx = self._crossfile(d, int(budget * self.cfg.crossfile_share))
            if ctx:
                ctx += [FILE_SEP_ID, *self._path_tokens(d).tolist()]
        fim_overhead = 4 if order != "prefix" else 1
        w, reaches_end = self._window(d, max(8, budget - len(ctx) - fim_overhead))
        if len(w) == 0:
            return [], [], "empty"
        if order == "prefix":
            toks = [*ctx, *w.tolist(), *([EOT_ID] if reaches_end else [])]
            return toks, [0] * len(toks), "prefix"
        i, j, mode = self.choose_span(w)
        p, m, s = w[:i].tolist(), w[i:j].tolist(), w[j:].tolist()
        if order == "spm":
            toks = [*ctx, FIM_PREFIX_ID, FIM_SUFFIX_ID, *s, FIM_MIDDLE_ID, *p, *m, EOT_ID]
        else:
            toks = [*ctx, FIM_PREFIX_ID, *p, FIM_SUFFIX_ID, *s, FIM_MIDDLE_ID, *m, EOT_ID]
        mask = [0] * (len(toks) - len(m) - 1) + [1] * (len(m) + 1)
        return toks, mask, f"{order}-{mode}"

    def stream_slice(self, n: int) -> np.ndarray:
        """``n`` consecutive tokens of the packed stream."""
        total = self.data.num_tokens
        if total <= n:
            reps = -(-n // max(total, 1))
            return np.tile(np.asarray(self.data.tokens, dtype=np.int64), reps)[:n]
        off = int(self.rng.integers(0, total - n))
        return np.asarray(self.data.tokens[off : off + n], dtype=np.int64)

    def sequence(self) -> tuple[np.ndarray, np.ndarray]:
        """``seq_len + 1`` tokens and the middle mask (1 where a token is part of a FIM middle
        or its closing ``<|endoftext|>``)."""
        n = self.cfg.seq_len + 1
        if self.rng.random() < self.cfg.p_plain_sequence:
            return self.stream_slice(n), np.zeros(n, np.uint8)
        toks: list[int] = []
        mask: list[int] = []
        while n - len(toks) >= 64:
            room = n - len(toks)
            budget = room if self.rng.random() < 0.7 else int(self.rng.integers(64, room + 1))
            t, m, _ = self.sample(budget)
            if not t:
                continue
            toks += t[:room]
            mask += m[:room]
        if len(toks) < n:
            fill = self.stream_slice(n - len(toks))
            toks += fill.tolist()
            mask += [0] * len(fill)
        return np.asarray(toks, dtype=np.int64), np.asarray(mask, dtype=np.uint8)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``[size, seq_len + 1]`` tokens and masks."""
        rows = [self.sequence() for _ in range(size)]
        return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])


def batch_iterator(
    data_dir: str | Path,
    split: str,
    tables: TokenTables,
    cfg: FimConfig,
    batch_size: int,
    seed: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless batches from a token folder."""
    sampler = FimSampler(TokenData.open(data_dir, split), tables, cfg, seed)
    while True:
        yield sampler.batch(batch_size)
