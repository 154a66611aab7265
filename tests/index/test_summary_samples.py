"""The index's summaries agree with the reviewed expectations of every grammar sample
(tests/grammars/expected/<lang>.json): definitions (name, kind, line, doc) and imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qwen_lsp.index.summary import summarize
from qwen_lsp.syntax.languages import default_registry
from qwen_lsp.syntax.text import TextBuffer

GRAMMAR_TESTS = Path(__file__).resolve().parent.parent / "grammars"
FOLDERS = sorted(p.stem for p in (GRAMMAR_TESTS / "expected").glob("*.json"))
# Doc-comment markers the generic stripper leaves in (Haddock `-- |`, OCaml `(** *)`).
DOC_MARKER_LANGUAGES: set[str] = set()


def _sample(folder: str) -> Path:
    registry = default_registry()
    lang = next(lang for lang in registry if lang.spec.folder.name == folder)
    for path in (GRAMMAR_TESTS / "samples").iterdir():
        if registry.for_path(path) is lang:
            return path
    raise AssertionError(f"no sample for {folder}")


@pytest.mark.parametrize("folder", FOLDERS)
def test_summary_matches_expected(folder: str) -> None:
    registry = default_registry()
    lang = next(lang for lang in registry if lang.spec.folder.name == folder)
    data = _sample(folder).read_bytes()
    summary = summarize("sample", lang, lang.parser().parse(data), TextBuffer(data), "h")
    expected = json.loads((GRAMMAR_TESTS / "expected" / f"{folder}.json").read_text())

    def kind(k: str) -> str:
        return "function" if k == "method" else k  # the index derives methods from nesting

    got_defs = sorted((d.name, kind(d.kind), d.span.start_line + 1) for d in summary.definitions)
    want_defs = sorted((d["name"], kind(d["kind"]), d["line"]) for d in expected["definitions"])
    assert got_defs == want_defs
    if folder not in DOC_MARKER_LANGUAGES:
        got_docs = {
            (d.name, kind(d.kind), d.span.start_line + 1): d.doc for d in summary.definitions
        }
        for d in expected["definitions"]:
            assert got_docs[(d["name"], kind(d["kind"]), d["line"])] == d.get("doc", ""), d
    got_imports = sorted((i.line + 1, i.module, i.name, i.alias) for i in summary.imports)
    want_imports = sorted(
        (i["line"], i["module"], i.get("name", ""), i.get("alias", "")) for i in expected["imports"]
    )
    assert got_imports == want_imports
