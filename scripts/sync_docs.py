"""Regenerate the generated parts of the docs (the README's settings table)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from qwen_lsp.config import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- settings-table:start -->\n).*?(<!-- settings-table:end -->)", re.S)


def synced(text: str) -> str:
    """README text with the settings table replaced by the generated one."""
    return BLOCK.sub(lambda m: m.group(1) + markdown_table() + "\n" + m.group(2), text)


if __name__ == "__main__":
    current = README.read_text()
    new = synced(current)
    if "--check" in sys.argv:
        sys.exit(0 if new == current else 1)
    README.write_text(new)
