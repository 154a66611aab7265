"""Incremental parsing: random edit sequences applied through ``Document.apply`` give the same
tree as a fresh parse of the final text, in several languages and with multi-byte text."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from qwen_lsp.syntax.document import Document, TextEdit
from qwen_lsp.syntax.languages import default_registry
from qwen_lsp.syntax.text import PositionEncoding

SEEDS = {
    "python": "def greet(name):\n    return f'héllo {name} 😀'\n\nclass A:\n    x = [1, 2, 3]\n",
    "javascript": "function f(a, b) {\n  return a + b; // 東京\n}\nconst o = { k: [1, 2] };\n",
    "rust": 'fn main() {\n    let s = "ñ";\n    println!("{}", s);\n}\n',
    "go": "package main\n\nfunc add(a int, b int) int {\n\treturn a + b\n}\n",
    "c": "int main(void) {\n  /* ü */ return 0;\n}\n",
}
ALPHABET = "abcxyz_ ()[]{}:;,.=+\n\r\t'\"#/*é東😀0123456789"


def _fresh_sexp(language_id: str, text: str) -> str:
    lang = default_registry().by_id(language_id)
    return str(lang.parser().parse(text.encode("utf-8", "surrogatepass")).root_node)


edit_strategy = st.lists(
    st.tuples(
        st.integers(0, 10),
        st.integers(0, 80),
        st.integers(0, 10),
        st.integers(0, 80),
        st.text(alphabet=ALPHABET, max_size=12),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language_id=st.sampled_from(sorted(SEEDS)),
    encoding=st.sampled_from([PositionEncoding.UTF16, PositionEncoding.UTF8]),
    edits=edit_strategy,
    batch=st.booleans(),
)
def test_incremental_edits_match_a_fresh_parse(language_id, encoding, edits, batch):
    lang = default_registry().by_id(language_id)
    doc = Document("file:///t", SEEDS[language_id], 1, lang, encoding)
    changes = [TextEdit(text, (l1, c1), (l2, c2)) for l1, c1, l2, c2, text in edits]
    if batch:
        doc.apply(changes, 2)  # several changes in one didChange
    else:
        for i, change in enumerate(changes):
            doc.apply([change], 2 + i)
    assert doc.tree is not None
    assert str(doc.tree.root_node) == _fresh_sexp(language_id, doc.text)
    # The line table stays exact too.
    from qwen_lsp.syntax.text import line_starts

    assert doc.buffer._starts == line_starts(doc.buffer.data)


def test_full_sync_change_replaces_the_text():
    lang = default_registry().by_id("python")
    doc = Document("file:///t", "x = 1\n", 1, lang)
    doc.apply([TextEdit("def f(:\n")], 2)
    assert doc.text == "def f(:\n" and doc.version == 2
    assert doc.tree.root_node.has_error


def test_oversized_document_has_no_tree_and_says_why():
    lang = default_registry().by_id("python")
    doc = Document("file:///big", "x = 1\n" * 1000, 1, lang, max_parse_bytes=1000)
    assert doc.tree is None
    assert "parse limit" in doc.parse_skipped_reason


def test_binary_content_is_not_parsed():
    lang = default_registry().by_id("python")
    doc = Document("file:///bin", "\x00\x01\x02", 1, lang)
    assert doc.tree is None and "binary" in doc.parse_skipped_reason
