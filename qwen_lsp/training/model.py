"""The decoder: a ``transformers`` Qwen2/Qwen3 config, and a plain torch module over its weights.

The module (``QwenDecoder``) uses the exact parameter names of ``Qwen2ForCausalLM`` /
``Qwen3ForCausalLM``, so a checkpoint saved from it loads in transformers (and llama.cpp's
converter) and vice versa. It has two forward paths over the same weights:

* ``forward`` for training: causal SDPA, no cache, no mask tensors: simple for ``torch.compile``;
* ``forward_with_past`` for export and cached inference: explicit ``attention_mask``,
  ``position_ids`` and past/present key-value tensors in the Hugging Face ONNX decoder layout,
  written with plain tensor ops so that ``torch.onnx.export(dynamo=False)`` traces it cleanly
  (transformers 5.x's Cache classes do not trace well).

``tests/training/test_model.py`` checks both paths against transformers' own logits.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelShape:
    """The size knobs of a decoder; ``to_hf_config`` turns it into a transformers config."""

    architecture: str = "qwen2"  # "qwen2" (q/k/v bias) or "qwen3" (q/k RMSNorm, no bias)
    vocab_size: int = 16384
    hidden_size: int = 512
    num_hidden_layers: int = 14
    num_attention_heads: int = 8
    num_key_value_heads: int = 2
    intermediate_size: int = 1536
    head_dim: int | None = None  # default hidden_size // num_attention_heads
    rope_theta: float = 10000.0
    max_position_embeddings: int = 2048
    rms_norm_eps: float = 1e-6
    initializer_range: float = 0.02

    @property
    def dim_head(self) -> int:
        """Size of one attention head."""
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def num_parameters(self) -> int:
        """Parameter count with the tied embedding counted once."""
        d, hd = self.hidden_size, self.dim_head
        q = self.num_attention_heads * hd
        kv = self.num_key_value_heads * hd
        attn = d * q + 2 * d * kv + q * d
        if self.architecture == "qwen2":
            attn += q + 2 * kv  # biases
        else:
            attn += 2 * hd  # q_norm, k_norm
        mlp = 3 * d * self.intermediate_size
        layer = attn + mlp + 2 * d
        return self.vocab_size * d + self.num_hidden_layers * layer + d

    def to_hf_config(self, **extra: Any) -> Any:
        """The ``Qwen2Config`` / ``Qwen3Config`` for this shape (tied embeddings)."""
        from transformers import Qwen2Config, Qwen3Config

        kwargs: dict[str, Any] = dict(
            vocab_size=self.vocab_size,
            hidden_size=self.hidden_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            num_key_value_heads=self.num_key_value_heads,
            intermediate_size=self.intermediate_size,
            max_position_embeddings=self.max_position_embeddings,
            rms_norm_eps=self.rms_norm_eps,
            initializer_range=self.initializer_range,
            tie_word_embeddings=True,
            rope_parameters={"rope_type": "default", "rope_theta": self.rope_theta},
            use_sliding_window=False,
            bos_token_id=None,
            eos_token_id=0,
            pad_token_id=0,
        )
        kwargs.update(extra)
        if self.architecture == "qwen2":
            return Qwen2Config(**kwargs)
        if self.architecture == "qwen3":
            return Qwen3Config(head_dim=self.dim_head, attention_bias=False, **kwargs)
        raise ValueError(f"unknown architecture {self.architecture!r}")

    @classmethod
    def from_hf_config(cls, config: Any) -> ModelShape:
        """Read the shape back from a transformers config (or its ``config.json`` dict)."""
        c = config if isinstance(config, dict) else config.to_dict()
        arch = c.get("model_type", "qwen2")
        if arch not in ("qwen2", "qwen3"):
            raise ValueError(f"unsupported model_type {arch!r}")
        if not c.get("tie_word_embeddings", False):
            raise ValueError("only tied embeddings are supported")
        if c.get("use_sliding_window"):
            raise ValueError("sliding-window attention is not supported")
        rope = c.get("rope_parameters") or {}
        theta = rope.get("rope_theta", c.get("rope_theta")) or 10000.0
        if rope.get("rope_type", "default") != "default":
            raise ValueError(f"unsupported rope_type {rope.get('rope_type')!r}")
        head_dim = c.get("head_dim")
        if arch == "qwen2" or head_dim == c["hidden_size"] // c["num_attention_heads"]:
            head_dim = None
        return cls(
            architecture=arch,
            vocab_size=c["vocab_size"],
            hidden_size=c["hidden_size"],
            num_hidden_layers=c["num_hidden_layers"],
            num_attention_heads=c["num_attention_heads"],
            num_key_value_heads=c.get("num_key_value_heads") or c["num_attention_heads"],
            intermediate_size=c["intermediate_size"],
            head_dim=head_dim,
            rope_theta=float(theta),
            max_position_embeddings=c.get("max_position_embeddings", 2048),
            rms_norm_eps=c.get("rms_norm_eps", 1e-6),
            initializer_range=c.get("initializer_range", 0.02),
        )


# Presets. Sizes with the default 16,384-token vocabulary. The shipped presets use Qwen3's q/k
# RMSNorm, which keeps attention logits bounded at the high learning rates a short run needs.
PRESETS: dict[str, ModelShape] = {
    # Test fixtures and CPU smoke runs.
    "tiny": ModelShape(
        vocab_size=2048,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
    ),
    "smoke": ModelShape(
        vocab_size=4096,
        hidden_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=352,
        max_position_embeddings=512,
    ),
    # ~28M parameters: the int8 route (about 28 MB on disk).
    "int8-28m": ModelShape(
        architecture="qwen3",
        hidden_size=448,
        num_hidden_layers=10,
        num_attention_heads=7,
        num_key_value_heads=1,
        intermediate_size=1216,
    ),
    # ~48M parameters: the int4 route. MatMulNBits block 64 with zero points and the embedding
    # shared with the output projection: 27.7 MB, plus ~0.4 MB of tokenizer, under the 30 MB
    # module budget (FFN 1536 would give 50.6M and 29.3 MB: too tight).
    "int4-50m": ModelShape(
        architecture="qwen3",
        hidden_size=512,
        num_hidden_layers=14,
        num_attention_heads=8,
        num_key_value_heads=2,
        intermediate_size=1408,
    ),
}


class RMSNorm(nn.Module):
    """Qwen's RMSNorm: normalise in float32, scale in the input dtype (as transformers does)."""

    def __init__(self, size: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.variance_epsilon = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise the last dimension."""
        dtype = x.dtype
        x32 = x.to(torch.float32)
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.variance_epsilon)
        return self.weight * x32.to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Rotate the two halves of the last dimension (the rotary convention of Qwen/Llama)."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    """Grouped-query self-attention with rotary positions (Qwen2 biases or Qwen3 q/k norms)."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        d, hd = shape.hidden_size, shape.dim_head
        self.n_heads = shape.num_attention_heads
        self.n_kv = shape.num_key_value_heads
        self.head_dim = hd
        self.qwen3 = shape.architecture == "qwen3"
        bias = not self.qwen3
        self.q_proj = nn.Linear(d, self.n_heads * hd, bias=bias)
        self.k_proj = nn.Linear(d, self.n_kv * hd, bias=bias)
        self.v_proj = nn.Linear(d, self.n_kv * hd, bias=bias)
        self.o_proj = nn.Linear(self.n_heads * hd, d, bias=False)
        if self.qwen3:
            self.q_norm = RMSNorm(hd, shape.rms_norm_eps)
            self.k_norm = RMSNorm(hd, shape.rms_norm_eps)

    def _qkv(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Project and rotate: q ``[b, heads, s, hd]``, k and v ``[b, kv_heads, s, hd]``."""
        b, s = x.shape[0], x.shape[1]
        q = self.q_proj(x).view(b, s, self.n_heads, self.head_dim)
        k = self.k_proj(x).view(b, s, self.n_kv, self.head_dim)
        v = self.v_proj(x).view(b, s, self.n_kv, self.head_dim)
        if self.qwen3:
            q = self.q_norm(q)
            k = self.k_norm(k)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        cos, sin = cos.unsqueeze(1).to(q.dtype), sin.unsqueeze(1).to(q.dtype)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        return q, k, v

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """Training path: causal attention over the whole sequence with SDPA."""
        b, s = x.shape[0], x.shape[1]
        q, k, v = self._qkv(x, cos, sin)
        # Under autocast Qwen3's q/k norms return float32 while v is bf16: keep SDPA on one
        # (low-precision) dtype so the flash kernel is used.
        q, k = q.to(v.dtype), k.to(v.dtype)
        rep = self.n_heads // self.n_kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))

    def forward_with_past(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        bias: torch.Tensor,
        past_k: torch.Tensor,
        past_v: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Cached path. ``bias`` is the additive float mask ``[b, 1, 1, s, past + s]`` (explicit
        attention, the form that exports to ONNX) or a boolean mask ``[b, 1, s, past + s]``
        (PyTorch SDPA: memory-efficient kernels for evaluation on a GPU)."""
        b, s = x.shape[0], x.shape[1]
        q, k, v = self._qkv(x, cos, sin)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        rep = self.n_heads // self.n_kv
        if bias.dtype == torch.bool:
            kk = k.repeat_interleave(rep, dim=1) if rep > 1 else k
            vv = v.repeat_interleave(rep, dim=1) if rep > 1 else v
            out = F.scaled_dot_product_attention(q, kk, vv, attn_mask=bias)
            return self.o_proj(out.transpose(1, 2).reshape(b, s, -1)), k, v
        # Group the query heads by the KV head they share instead of copying K and V.
        qg = q.reshape(b, self.n_kv, rep, s, self.head_dim)
        scores = torch.matmul(qg, k.unsqueeze(2).transpose(-1, -2)) * (self.head_dim**-0.5)
        probs = torch.softmax(scores.float() + bias, dim=-1).to(q.dtype)
        out = torch.matmul(probs, v.unsqueeze(2))  # [b, kv, rep, s, hd]
        out = out.reshape(b, self.n_heads, s, self.head_dim).transpose(1, 2).reshape(b, s, -1)
        return self.o_proj(out), k, v


class MLP(nn.Module):
    """SwiGLU feed-forward."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        d, f = shape.hidden_size, shape.intermediate_size
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``down(silu(gate(x)) * up(x))``."""
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    """Pre-norm block: attention then MLP, each with a residual."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.self_attn = Attention(shape)
        self.mlp = MLP(shape)
        self.input_layernorm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)

    def forward(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """Training path."""
        h = h + self.self_attn(self.input_layernorm(h), cos, sin)
        return h + self.mlp(self.post_attention_layernorm(h))


class Body(nn.Module):
    """``model.*`` of the transformers checkpoint: embedding, layers, final norm."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(shape.vocab_size, shape.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(shape) for _ in range(shape.num_hidden_layers)])
        self.norm = RMSNorm(shape.hidden_size, shape.rms_norm_eps)


class QwenDecoder(nn.Module):
    """Qwen2/Qwen3 causal LM with a tied embedding, parameter names as in transformers."""

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.shape = shape
        self.model = Body(shape)
        self.register_buffer("inv_freq", self._inv_freq(), persistent=False)

    def _inv_freq(self, device: torch.device | str | None = None) -> torch.Tensor:
        hd = self.shape.dim_head
        return 1.0 / (
            self.shape.rope_theta
            ** (torch.arange(0, hd, 2, dtype=torch.float32, device=device) / hd)
        )

    def _apply(self, fn, recurse=True):
        # ``model.to(torch.bfloat16)`` would round the rotary frequencies to bf16, which ruins
        # positions beyond a few hundred: keep them float32 whatever the weights' dtype.
        out = super()._apply(fn, recurse)
        self.inv_freq = self._inv_freq(self.inv_freq.device)
        return out

    # -- weights ---------------------------------------------------------------------------
    @property
    def embedding(self) -> torch.Tensor:
        """The tied embedding / output matrix ``[vocab, hidden]``."""
        return self.model.embed_tokens.weight

    def init_weights(self, seed: int | None = None) -> None:
        """Normal init with ``initializer_range``; residual output projections scaled down by
        ``1/sqrt(2 * layers)`` (GPT-2) so the residual stream does not grow with depth."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        std = self.shape.initializer_range
        out_std = std / math.sqrt(2 * self.shape.num_hidden_layers)
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            else:
                s = out_std if name.endswith(("o_proj.weight", "down_proj.weight")) else std
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=gen) * s)

    def hf_state_dict(self) -> dict[str, torch.Tensor]:
        """State dict with transformers' names (``lm_head.weight`` left out: it is tied)."""
        return {k: v for k, v in self.state_dict().items() if k != "lm_head.weight"}

    def load_hf_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        """Load a transformers state dict (a tied ``lm_head.weight`` is ignored)."""
        sd = {k: v for k, v in sd.items() if k != "lm_head.weight" and "rotary_emb" not in k}
        missing, unexpected = self.load_state_dict(sd, strict=False)
        if missing or unexpected:
            raise ValueError(f"state dict mismatch: missing={missing} unexpected={unexpected}")

    def rope(self, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin ``[b, s, head_dim]`` in float32 for integer positions ``[b, s]``."""
        freqs = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Project hidden states on the tied embedding."""
        return F.linear(h, self.output_matrix())

    def output_matrix(self) -> torch.Tensor:
        """The output projection's matrix: the tied embedding (``qat.enable_qat`` rounds it
        as the int4 export will)."""
        return self.embedding

    # -- forward paths ---------------------------------------------------------------------
    def hidden(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Training path up to the final norm: causal, positions 0..s-1, no padding."""
        return self.run_layers(self.model.embed_tokens(input_ids))

    def run_layers(
        self, h: torch.Tensor, start: int = 0, record: list[torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Layers ``start`` on over their input ``h [b, s, hidden]`` (causal, positions
        0..s-1), then the final norm. ``record`` collects each of those layers' inputs (a later
        run can start from any of them: ``mixed_precision`` measures one layer's change so)."""
        pos = torch.arange(h.shape[1], device=h.device).unsqueeze(0)
        cos, sin = self.rope(pos)
        for layer in self.model.layers[start:]:
            if record is not None:
                record.append(h)
            h = layer(h, cos, sin)
        return self.model.norm(h)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Training path: logits ``[b, s, vocab]``."""
        return self.logits(self.hidden(input_ids))

    def forward_with_past(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        past: list[tuple[torch.Tensor, torch.Tensor]],
        sdpa: bool = False,
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Cached path in the Hugging Face decoder layout.

        Args:
            input_ids: ``[b, s]`` int64.
            attention_mask: ``[b, past + s]`` int64, 1 = real token, 0 = padding.
            position_ids: ``[b, s]`` int64.
            past: per layer ``(key, value)``, each ``[b, kv_heads, past, head_dim]``.
            sdpa: use PyTorch SDPA (evaluation; not exportable). Padding queries then also see
                themselves, so no row is fully masked (SDPA would give NaN that leaks into the
                padded positions' keys); real positions are unaffected.

        Returns:
            logits ``[b, s, vocab]`` and per layer ``(key, value)`` ``[b, kv_heads, past+s, hd]``.
        """
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        total = attention_mask.shape[1]
        # Query i sits at cache slot past_len + i; it sees slots <= its own that are not padding.
        q_slot = torch.arange(s, device=input_ids.device).unsqueeze(1) + past_len
        k_slot = torch.arange(total, device=input_ids.device).unsqueeze(0)
        allowed = (k_slot <= q_slot).unsqueeze(0) & (attention_mask.unsqueeze(1) > 0)  # [b,s,t]
        if sdpa:
            bias = (allowed | (k_slot == q_slot).unsqueeze(0))[:, None]  # [b,1,s,t] bool
        else:
            neg = torch.finfo(torch.float32).min
            bias = torch.where(allowed, 0.0, neg).to(torch.float32)[:, None, None]  # [b,1,1,s,t]
        cos, sin = self.rope(position_ids)
        h = self.model.embed_tokens(input_ids)
        presents: list[tuple[torch.Tensor, torch.Tensor]] = []
        layers = cast("list[DecoderLayer]", list(self.model.layers))
        for layer, (pk, pv) in zip(layers, past, strict=True):
            a, k, v = layer.self_attn.forward_with_past(
                layer.input_layernorm(h), cos, sin, bias, pk, pv
            )
            h = h + a
            h = h + layer.mlp(layer.post_attention_layernorm(h))
            presents.append((k, v))
        return self.logits(self.model.norm(h)), presents

    def empty_past(
        self, batch: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Zero-length past for every layer."""
        sh = (batch, self.shape.num_key_value_heads, 0, self.shape.dim_head)
        return [
            (
                torch.zeros(sh, device=device, dtype=dtype),
                torch.zeros(sh, device=device, dtype=dtype),
            )
            for _ in range(self.shape.num_hidden_layers)
        ]


# -- checkpoints in transformers format ------------------------------------------------------
def save_hf(model: QwenDecoder, out_dir: str | Path, dtype: torch.dtype | None = None) -> None:
    """Write ``config.json`` + ``model.safetensors`` as ``save_pretrained`` would (tied)."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = model.shape.to_hf_config()
    cfg.architectures = [
        "Qwen2ForCausalLM" if model.shape.architecture == "qwen2" else "Qwen3ForCausalLM"
    ]
    sd = {
        k: (v.to(dtype) if dtype is not None else v).detach().cpu().contiguous()
        for k, v in model.hf_state_dict().items()
    }
    save_file(sd, str(out / "model.safetensors"), metadata={"format": "pt"})
    cfg.to_json_file(str(out / "config.json"))


def load_hf(path: str | Path, dtype: torch.dtype = torch.float32) -> QwenDecoder:
    """Load a folder with ``config.json`` + ``model.safetensors`` into a ``QwenDecoder``."""
    from safetensors.torch import load_file

    p = Path(path)
    shape = ModelShape.from_hf_config(json.loads((p / "config.json").read_text()))
    model = QwenDecoder(shape)
    sd = load_file(str(p / "model.safetensors"))
    model.load_hf_state_dict({k: v.to(dtype) for k, v in sd.items()})
    return model.to(dtype)


def shape_summary(shape: ModelShape) -> dict[str, Any]:
    """The shape as a JSON-able dict with its parameter count."""
    d = asdict(shape)
    d["parameters"] = shape.num_parameters()
    return d
