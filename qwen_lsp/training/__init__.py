"""Training pipeline for the embedded model modules (optional extra ``train``).

Corpus building, tokenizer, model definition, FIM data, training, ONNX export, quantization and
evaluation. The server's runtime never imports this package: it needs torch and transformers.
The contract it writes to is ``docs/model-module.md``.
"""

from __future__ import annotations

# The special tokens of the contract, in id order (``<|endoftext|>`` = 0).
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)
EOT_ID = 0
FIM_PREFIX_ID = 1
FIM_MIDDLE_ID = 2
FIM_SUFFIX_ID = 3
FIM_PAD_ID = 4
REPO_NAME_ID = 5
FILE_SEP_ID = 6

__all__ = [
    "EOT_ID",
    "FILE_SEP_ID",
    "FIM_MIDDLE_ID",
    "FIM_PAD_ID",
    "FIM_PREFIX_ID",
    "FIM_SUFFIX_ID",
    "REPO_NAME_ID",
    "SPECIAL_TOKENS",
]
