"""Writes qwen-lsp/template.json (an LSP4IJ user-defined server template) from the server's
languages registry: every language qwen-lsp parses, by file name pattern, with its LSP id.

    python editors/intellij/generate_template.py          # write
    python editors/intellij/generate_template.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).parent / "qwen-lsp" / "template.json"


def template() -> dict[str, Any]:
    """The template LSP4IJ imports (fields read by its LanguageServerTemplateDeserializer)."""
    from qwen_lsp.syntax.languages import default_registry

    mappings = []
    for language in sorted(default_registry(), key=lambda lang: lang.id):
        patterns = [f"*{ext}" for ext in language.spec.extensions]
        patterns += list(getattr(language.spec, "filenames", ()) or ())
        if patterns:
            mappings.append({"fileType": {"patterns": patterns}, "languageId": language.id})
    return {
        "id": "qwen-lsp",
        "name": "qwen-lsp",
        "programArgs": {"default": "qwen-lsp serve", "windows": "qwen-lsp.exe serve"},
        "fileTypeMappings": mappings,
    }


def main(argv: list[str]) -> int:
    text = json.dumps(template(), indent=2) + "\n"
    if "--check" in argv:
        if TEMPLATE.read_text(encoding="utf-8") != text:
            print(f"{TEMPLATE} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TEMPLATE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
