"""Constants shared by tests."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SERVER_COMMAND = [sys.executable, "-m", "qwen_lsp", "serve"]
