"""qwen-lsp: a local-first AI coding assistant that speaks the Language Server Protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["LocalEngine", "__version__"]

if TYPE_CHECKING:
    from .api import LocalEngine


def __getattr__(name: str) -> Any:
    # The API pulls in ONNX Runtime and the tokenizers: only when it is asked for, so that
    # `import qwen_lsp` (the server's start, the CLI) stays light.
    if name == "LocalEngine":
        from .api import LocalEngine

        return LocalEngine
    raise AttributeError(f"module 'qwen_lsp' has no attribute {name!r}")
