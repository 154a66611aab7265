"""``; inherits: <language>``: a query file that takes another language folder's patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_lsp.syntax.languages import LanguageError, default_registry, query_source


def test_typescript_and_tsx_run_javascripts_documented_functions_patterns() -> None:
    registry = default_registry()
    base = registry.by_id("javascript").query("documented_functions")
    assert base is not None and base.pattern_count > 0
    for language_id in ("typescript", "typescriptreact"):
        query = registry.by_id(language_id).query("documented_functions")
        assert query is not None and query.pattern_count == base.pattern_count


def test_inherited_text_comes_first_and_a_missing_parent_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "q.scm").write_text("(a) @x\n")
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "q.scm").write_text("; inherits: base\n(b) @y\n")
    assert query_source(tmp_path / "child", "q") == "(a) @x\n\n; inherits: base\n(b) @y\n"
    assert query_source(tmp_path / "child", "absent") is None
    (tmp_path / "orphan").mkdir()
    (tmp_path / "orphan" / "q.scm").write_text("; inherits: nowhere\n")
    with pytest.raises(LanguageError, match="inherits nowhere"):
        query_source(tmp_path / "orphan", "q")
