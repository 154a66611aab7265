"""Cross-language conversion over the syntax tree: rules first (``docs/conversion.md``), the
model for what no rule covers, every result parsed with the target grammar before it is
offered. Knows nothing of LSP; ``features/conversion.py`` and ``qwen-lsp convert`` call it."""

from .engine import NAMES, TARGETS, Conversion, check, convert

__all__ = ["NAMES", "TARGETS", "Conversion", "check", "convert"]
