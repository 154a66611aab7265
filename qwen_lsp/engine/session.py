"""An ONNX Runtime decoder session in the Hugging Face decoder export layout.

Inputs ``input_ids``, ``attention_mask``, ``position_ids``, ``past_key_values.{i}.key|value``;
outputs ``logits``, ``present.{i}.key|value``. Layer count, KV heads and head size are read
from the graph. Past keys/values stay in ORT-owned buffers between steps (I/O binding): a decode
step copies nothing through Python but the last position's logits.

Two kinds of graph. A plain export makes each step's ``present`` by concatenating ``past`` with
the new positions (ORT copies the whole cache every step). A fused graph
(``qwen_lsp.training.fuse``, or any ``GroupQueryAttention`` graph that says
``qwen_lsp.kv_cache = shared`` in its metadata) reads and writes *one* buffer of a fixed capacity:
``present`` is bound to ``past``, a step writes only its own position, and only the sum of
each attention-mask row matters (that row's length). :class:`KVCache` hides the difference.

Sequences decoded together are copied into one batch cache (:meth:`DecoderSession.batched`)
that lives in the session's :class:`BatchWorkspace`, memory kept between batches. A fused graph
reads only each row's first ``length`` positions, so what lies past them is never cleared. Its
``GroupQueryAttention`` (ONNX Runtime 1.32) refuses more than one new token per row in a batch
with a past, so prompts are run one sequence at a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import onnxruntime as ort

from .module import ModuleIncompatibleError

log = logging.getLogger(__name__)

_PAST = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")
KV_CACHE_METADATA = "qwen_lsp.kv_cache"
# Shared buffers grow in steps of this many positions (a regrow copies the cache once); small,
# because the prefix cache keeps one buffer per document.
CAPACITY_STEP = 64


@dataclass
class KVCache:
    """Past keys/values of a batch: per layer ``(key, value)`` OrtValues of shape
    ``[batch, kv_heads, length, head_dim]``."""

    layers: list[tuple[ort.OrtValue, ort.OrtValue]]
    length: int
    # Shared buffers (a fused graph): positions the buffers hold; ``length`` of them are valid.
    # None: each buffer is exactly ``length`` long and a step makes new ones.
    capacity: int | None = None
    # Whatever owns the memory these buffers view (rows kept by ``DecoderSession.keep_rows``:
    # an OrtValue over a numpy view does not keep the original buffers alive). Copies of this
    # cache with another length (``dataclasses.replace``) carry it along.
    owners: tuple[object, ...] = ()

    @property
    def shared(self) -> bool:
        """Whether steps write into these buffers in place."""
        return self.capacity is not None

    def arrays(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Numpy views of the buffers (no copy; shared buffers: the whole capacity)."""
        return [(k.numpy(), v.numpy()) for k, v in self.layers]

    def truncated(self, length: int) -> KVCache:
        """The first ``length`` positions: new contiguous buffers, or for shared buffers the
        same buffers with a shorter valid length (no copy; a later step overwrites the rest)."""
        if length >= self.length:
            return self
        if self.capacity is not None:
            return replace(self, length=length)
        layers = []
        for k, v in self.arrays():
            layers.append(
                (
                    ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(k[:, :, :length, :])),
                    ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(v[:, :, :length, :])),
                )
            )
        return KVCache(layers, length)

    def nbytes(self) -> int:
        """Memory held by the buffers."""
        return sum(k.numpy().nbytes + v.numpy().nbytes for k, v in self.layers)


class BatchWorkspace:
    """Flat key/value buffers per layer that merged batch caches view, kept between batches.

    Fresh buffers cost more than the copy into them: merging eight caches of 1,200 positions
    (147 MB with the embedded module) took 135 ms into new zeroed buffers, nearly all of it page
    faults on first touch, and 14 ms into buffers already touched. One decode uses it at a time;
    a second one asking meanwhile gets nothing and allocates its own. Contents are whatever an
    earlier batch left (or uninitialised): callers copy in every position a graph reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = False
        self._buffers: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def nbytes(self) -> int:
        """Memory held."""
        return sum(k.nbytes + v.nbytes for k, v in self._buffers)

    def take(
        self, layers: int, elements: int, dtype: type[np.generic]
    ) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Per layer, flat key and value buffers of at least ``elements`` items (contents left
        from earlier batches), or None while another caller holds them. Hand them back with
        :meth:`give_back`."""
        with self._lock:
            if self._busy:
                return None
            self._busy = True
        try:
            if (
                len(self._buffers) != layers
                or self._buffers[0][0].size < elements
                or self._buffers[0][0].dtype != dtype
            ):
                # Drop the old ones first (peak memory), and grow with some headroom so that
                # documents growing a few tokens per keystroke do not regrow at every batch.
                # Not zeroed: every position a graph reads is copied in first, and numpy's
                # uninitialised large buffers come in huge pages, whose first touch costs a
                # tenth of zeroed ones' (23 vs 219 ms for 147 MB here).
                old = self._buffers[0][0].size if self._buffers else 0
                size = max(elements, old + old // 4)
                self._buffers = []
                self._buffers = [
                    (np.empty(size, dtype=dtype), np.empty(size, dtype=dtype))
                    for _ in range(layers)
                ]
            return self._buffers
        except BaseException:
            self.give_back()
            raise

    def give_back(self) -> None:
        """The buffers from :meth:`take` are free again."""
        with self._lock:
            self._busy = False

    def free(self) -> int:
        """Release the buffers (unless a decode holds them); returns the bytes released."""
        with self._lock:
            if self._busy:
                return 0
            freed = self.nbytes
            self._buffers = []
            return freed


def physical_cores() -> int:
    """Physical cores (hyper-threads share execution units and slow matrix work down)."""
    try:
        with open("/proc/cpuinfo") as fh:
            blocks = fh.read().split("\n\n")
    except OSError:
        return os.cpu_count() or 1
    pairs = set()
    for block in blocks:
        phys = re.search(r"physical id\s*:\s*(\d+)", block)
        core = re.search(r"core id\s*:\s*(\d+)", block)
        if phys and core:
            pairs.add((phys.group(1), core.group(1)))
    if pairs:
        return min(len(pairs), os.cpu_count() or 1)
    return os.cpu_count() or 1


def execution_providers(choice: str) -> list[str]:
    """ONNX Runtime providers for a setting value (``cpu``, ``cuda``, ``auto``)."""
    available = ort.get_available_providers()
    if choice in ("cuda", "auto") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if choice == "cuda":
        log.warning("CUDAExecutionProvider is not available; running on the CPU")
    return ["CPUExecutionProvider"]


class DecoderSession:
    """One loaded decoder graph."""

    def __init__(
        self,
        model: str | bytes,
        providers: Sequence[str] = ("CPUExecutionProvider",),
        threads: int = 0,
    ) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or physical_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Spinning worker threads between steps would steal the editor's CPU.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                model, sess_options=options, providers=list(providers)
            )
        except Exception as exc:
            raise ModuleIncompatibleError(
                f"ONNX Runtime cannot load the model: {_first_line(exc)}"
            ) from exc
        self.providers = self.session.get_providers()
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.shared_kv = metadata.get(KV_CACHE_METADATA) == "shared"
        self._check_layout()
        self.workspace = BatchWorkspace()
        # On a plain graph, one token of one sequence (a keystroke's decode) runs faster on one
        # thread than on two here (174 vs 150 tokens/s, bench/completion.py --llamacpp): too
        # little work per step to share, so a second session of the same graph takes those
        # steps. A fused graph has fewer, larger ops and two threads win there (3.1 vs 3.4 ms
        # a step at 512 tokens of context, 4.2 vs 4.6 at 1,100): no second session.
        self._step_session: ort.InferenceSession | None = None
        if (
            not threads
            and not self.shared_kv
            and physical_cores() > 1
            and self.providers == ["CPUExecutionProvider"]
        ):
            options.intra_op_num_threads = 1
            options.enable_cpu_mem_arena = False  # one token's buffers: small, no arena to keep
            self._step_session = ort.InferenceSession(
                model, sess_options=options, providers=list(providers)
            )

    def _check_layout(self) -> None:
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        for required in ("input_ids", "attention_mask"):
            if required not in inputs:
                raise ModuleIncompatibleError(
                    f"the graph has no {required!r} input (not a HF decoder export)"
                )
        if "logits" not in outputs:
            raise ModuleIncompatibleError(
                "the graph has no 'logits' output (not a HF decoder export)"
            )
        layers = sorted({int(m.group(1)) for name in inputs if (m := _PAST.match(name))})
        if not layers or layers != list(range(len(layers))):
            raise ModuleIncompatibleError(
                "the graph has no past_key_values.{i}.key/value inputs (export it with a KV cache)"
            )
        self.num_layers = len(layers)
        shape = inputs["past_key_values.0.key"].shape
        if len(shape) != 4 or not isinstance(shape[1], int) or not isinstance(shape[3], int):
            raise ModuleIncompatibleError(
                f"past key shape {shape} is not [batch, kv_heads, past, head_dim]"
            )
        self.kv_heads, self.head_dim = int(shape[1]), int(shape[3])
        kv_type = inputs["past_key_values.0.key"].type
        self.kv_dtype = np.float16 if "float16" in kv_type else np.float32
        self.has_position_ids = "position_ids" in inputs
        for i in range(self.num_layers):
            for kind in ("key", "value"):
                if f"present.{i}.{kind}" not in outputs:
                    raise ModuleIncompatibleError(f"the graph has no present.{i}.{kind} output")
        logits = next(o for o in self.session.get_outputs() if o.name == "logits")
        self.vocab_size = logits.shape[-1] if isinstance(logits.shape[-1], int) else None

    def empty_cache(self, batch: int = 1, capacity: int = 0) -> KVCache:
        """A zero-length past for ``batch`` sequences; with a fused graph, buffers that hold
        ``capacity`` positions before they must grow."""
        if self.shared_kv:
            return self._buffers(batch, _round_up(max(1, capacity)))
        empty = np.zeros((batch, self.kv_heads, 0, self.head_dim), dtype=self.kv_dtype)
        layers = [
            (ort.OrtValue.ortvalue_from_numpy(empty), ort.OrtValue.ortvalue_from_numpy(empty))
            for _ in range(self.num_layers)
        ]
        return KVCache(layers, 0)

    def _buffers(self, batch: int, capacity: int) -> KVCache:
        shape = (batch, self.kv_heads, capacity, self.head_dim)
        layers = [
            (
                ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, dtype=self.kv_dtype)),
                ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, dtype=self.kv_dtype)),
            )
            for _ in range(self.num_layers)
        ]
        return KVCache(layers, 0, capacity)

    @contextlib.contextmanager
    def batched(
        self, caches: list[KVCache], reserve: int = 0
    ) -> Iterator[tuple[KVCache, np.ndarray]]:
        """Several batch-1 caches as one batch while the block runs, and its attention mask
        (rows right-aligned: a plain graph attends by the mask, a fused one by each row's
        length). Shared buffers get room for ``reserve`` more positions. One cache is used as
        it is; several are copied into :attr:`workspace` when it is free (else into new
        buffers), so the merged cache must not be used after the block."""
        if len(caches) == 1:
            cache = caches[0]
            if cache.capacity is not None and cache.capacity < cache.length + reserve:
                cache = self._grown(cache, cache.length + reserve)
            yield cache, np.ones((1, cache.length), dtype=np.int64)
            return
        total = max(c.length for c in caches)
        mask = np.zeros((len(caches), total), dtype=np.int64)
        for row, cache in enumerate(caches):
            mask[row, total - cache.length :] = 1
        width = _round_up(total + reserve) if self.shared_kv else total
        shape = (len(caches), self.kv_heads, width, self.head_dim)
        elements = int(np.prod(shape))
        flat = self.workspace.take(self.num_layers, elements, self.kv_dtype)
        try:
            buffers: list[tuple[np.ndarray, np.ndarray]]
            if flat is None:
                buffers = [
                    (np.zeros(shape, dtype=self.kv_dtype), np.zeros(shape, dtype=self.kv_dtype))
                    for _ in range(self.num_layers)
                ]
            else:
                # Views of the first elements: C-contiguous, as ORT requires.
                buffers = [
                    (k[:elements].reshape(shape), v[:elements].reshape(shape)) for k, v in flat
                ]
            arrays = [c.arrays() for c in caches]
            for layer, merged in enumerate(buffers):
                for row, cache in enumerate(caches):
                    n = cache.length
                    for part, buf in enumerate(merged):
                        src = arrays[row][layer][part][0]
                        if self.shared_kv:
                            # Each row's positions start at 0; what lies past its length
                            # (an earlier batch's keys, or uninitialised memory) is never
                            # read: the graph attends to a row's first ``mask[row].sum()``
                            # positions only.
                            buf[row, :, :n] = src[:, :n]
                        else:
                            # A plain graph multiplies masked positions too (their weight is
                            # zero, but NaN times zero is NaN): the padding must be numbers.
                            buf[row, :, : total - n] = 0
                            buf[row, :, total - n :] = src
            layers = [
                (ort.OrtValue.ortvalue_from_numpy(k), ort.OrtValue.ortvalue_from_numpy(v))
                for k, v in buffers
            ]
            merged_cache = KVCache(
                layers, total, width if self.shared_kv else None, owners=(buffers,)
            )
            yield merged_cache, mask
        finally:
            if flat is not None:
                self.workspace.give_back()

    def keep_rows(
        self, cache: KVCache, rows: list[int], lengths: Sequence[int] | np.ndarray
    ) -> tuple[KVCache, list[int]]:
        """A shared batch cache reduced to ``rows`` (increasing), in place: each kept row
        beyond the first ``len(rows)`` moves into the place of a dropped one, copying only its
        ``lengths[row]`` valid positions, and the result views the first ``len(rows)`` rows,
        so finished sequences stop costing a step anything. Returns the cache and, for each of
        its rows, the row it was in ``cache`` (the caller reorders its per-row state alike)."""
        if cache.capacity is None:
            raise ValueError("only shared buffers can drop rows")
        keep = len(rows)
        kept = set(rows)
        holes = [row for row in range(keep) if row not in kept]
        movers = [row for row in rows if row >= keep]
        order = list(range(keep))
        for hole, mover in zip(holes, movers, strict=True):
            order[hole] = mover
        layers = []
        for key, value in cache.arrays():
            for hole, mover in zip(holes, movers, strict=True):
                n = int(lengths[mover])
                key[hole, :, :n] = key[mover, :, :n]
                value[hole, :, :n] = value[mover, :, :n]
            layers.append(
                (
                    ort.OrtValue.ortvalue_from_numpy(key[:keep]),
                    ort.OrtValue.ortvalue_from_numpy(value[:keep]),
                )
            )
        return KVCache(layers, cache.length, cache.capacity, (cache.layers, cache.owners)), order

    def _grown(self, cache: KVCache, needed: int) -> KVCache:
        """A shared cache copied into buffers that hold ``needed`` positions."""
        batch = cache.layers[0][0].shape()[0]
        grown = self._buffers(batch, _round_up(needed))
        for (key, value), (old_key, old_value) in zip(grown.arrays(), cache.arrays(), strict=True):
            key[:, :, : old_key.shape[2]] = old_key
            value[:, :, : old_value.shape[2]] = old_value
        return KVCache(grown.layers, cache.length, grown.capacity)

    def forward(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        position_ids: np.ndarray,
        past: KVCache,
        all_logits: bool = False,
    ) -> tuple[np.ndarray, KVCache]:
        """Run the graph on ``input_ids [b, s]``; returns the logits of the last position
        (``[b, vocab]``, or ``[b, s, vocab]`` with ``all_logits``) and the new cache.

        With shared buffers the new positions are written into ``past``'s buffers (grown
        first when they are full) and the returned cache holds the same buffers."""
        if all_logits and self.shared_kv:
            raise ValueError("a fused graph returns the last position's logits only")
        if past.capacity is not None and past.capacity < past.length + input_ids.shape[1]:
            past = self._grown(past, past.length + input_ids.shape[1])
        session = (
            self._step_session
            if self._step_session is not None and input_ids.shape == (1, 1)
            else self.session
        )
        binding = session.io_binding()
        binding.bind_cpu_input("input_ids", np.ascontiguousarray(input_ids, dtype=np.int64))
        binding.bind_cpu_input(
            "attention_mask", np.ascontiguousarray(attention_mask, dtype=np.int64)
        )
        if self.has_position_ids:
            binding.bind_cpu_input(
                "position_ids", np.ascontiguousarray(position_ids, dtype=np.int64)
            )
        for i, (k, v) in enumerate(past.layers):
            binding.bind_ortvalue_input(f"past_key_values.{i}.key", k)
            binding.bind_ortvalue_input(f"past_key_values.{i}.value", v)
        binding.bind_output("logits", "cpu")
        for i, (k, v) in enumerate(past.layers):
            if past.capacity is not None:
                binding.bind_ortvalue_output(f"present.{i}.key", k)
                binding.bind_ortvalue_output(f"present.{i}.value", v)
            else:
                binding.bind_output(f"present.{i}.key", "cpu")
                binding.bind_output(f"present.{i}.value", "cpu")
        session.run_with_iobinding(binding)
        outputs = binding.get_outputs()
        logits = outputs[0].numpy()
        last = logits if all_logits else np.array(logits[:, -1, :], dtype=np.float32)
        length = past.length + input_ids.shape[1]
        if past.capacity is not None:
            return last, replace(past, length=length)
        layers = [(outputs[1 + 2 * i], outputs[2 + 2 * i]) for i in range(self.num_layers)]
        return last, KVCache(layers, length)


def _round_up(n: int) -> int:
    return -(-n // CAPACITY_STEP) * CAPACITY_STEP


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
