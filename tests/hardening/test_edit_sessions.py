"""Random edit sessions through ``didChange``: the server's text equals the reference text, its
tree equals a fresh parse of that text (every node: type, bytes, points, fields), and
diagnostics are published only for versions the client sent, in order, ending with the latest.

1,000 sessions run in process through ``Document.apply`` (the code ``didChange`` calls);
a real-pipe subset goes through the server's JSON-RPC, its ``didChange`` handler and
``qwen.debugDocument``.
"""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qwen_lsp.features.debug import DEBUG_DOCUMENT, text_digest, tree_digest
from qwen_lsp.syntax.document import Document, TextEdit
from qwen_lsp.syntax.languages import default_registry
from qwen_lsp.syntax.text import PositionEncoding

from .edits import session
from .lsp_pipe import PipeServer

PYTHON = default_registry().by_id("python")


def _fresh(text: str):
    return PYTHON.parser().parse(text.encode("utf-8", "surrogatepass"))


# The same 1,000 sessions every run (a CI run must not depend on the day's draw); a failure
# prints the blob that reproduces it.
@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    print_blob=True,
)
@given(rng=st.randoms(use_true_random=False), length=st.integers(1, 30))
def test_a_thousand_edit_sessions_keep_text_and_tree_equal_to_a_fresh_parse(rng, length):
    start, batches, final, utf8 = session(rng, length)
    encoding = PositionEncoding.UTF8 if utf8 else PositionEncoding.UTF16
    doc = Document("file:///s.py", start, 1, PYTHON, encoding)
    for version, batch in enumerate(batches, 2):
        doc.apply([TextEdit(e.text, e.start, e.end) for e in batch], version)
    assert doc.text == final
    assert doc.buffer.data == final.encode("utf-8", "surrogatepass")
    assert doc.tree is not None
    assert tree_digest(doc.tree) == tree_digest(_fresh(final))
    assert doc.version == len(batches) + 1


def _change(uri: str, version: int, batch) -> dict:
    return {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [
            {
                "range": {
                    "start": {"line": e.start[0], "character": e.start[1]},
                    "end": {"line": e.end[0], "character": e.end[1]},
                },
                "text": e.text,
            }
            for e in batch
        ],
    }


def _published(srv: PipeServer, uri: str) -> list[dict]:
    return [p for p in srv.notifications_of("textDocument/publishDiagnostics") if p["uri"] == uri]


def test_edit_sessions_over_the_pipe_end_in_the_same_text_tree_and_latest_diagnostics(
    tmp_path: Path,
):
    sessions = 40
    with PipeServer() as srv:
        init = srv.initialize(tmp_path, {"index": {"enable": False}})
        utf8_server = init["capabilities"].get("positionEncoding") == "utf-8"
        assert not utf8_server  # the client offered nothing: UTF-16
        for n in range(sessions):
            rng = random.Random(n)
            start, batches, final, _ = session(rng, rng.randint(5, 40), utf8=False)
            uri = (tmp_path / f"s{n}.py").as_uri()
            srv.open(uri, start, 1)
            for version, batch in enumerate(batches, 2):
                srv.notify("textDocument/didChange", _change(uri, version, batch))
            last = len(batches) + 1
            state = srv.call(
                "workspace/executeCommand", {"command": DEBUG_DOCUMENT, "arguments": [uri]}
            )
            assert state["version"] == last
            assert state["textSha256"] == text_digest(final.encode("utf-8", "surrogatepass"))
            assert state["treeNodesSha256"] == tree_digest(_fresh(final)), f"session {n}"
            # The latest version's diagnostics arrive, and nothing older comes after them.
            srv.wait(
                lambda uri=uri, last=last: any(
                    p.get("version") == last for p in _published(srv, uri)
                ),
                30,
                f"diagnostics of version {last} of session {n}",
            )
            # The same text opened fresh gets the same diagnostics.
            fresh = (tmp_path / f"fresh{n}.py").as_uri()
            srv.open(fresh, final, 1)
            srv.wait(lambda fresh=fresh: _published(srv, fresh), 30, "fresh diagnostics")
            srv.notify("textDocument/didClose", {"textDocument": {"uri": fresh}})
            srv.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            published = _published(srv, uri)
            final_diags = next(p for p in published if p.get("version") == last)["diagnostics"]
            assert _key(final_diags) == _key(_published(srv, fresh)[0]["diagnostics"]), n
            versions = [p.get("version") for p in published if p.get("version") is not None]
            assert versions == sorted(versions), f"session {n}: published out of order {versions}"
            assert set(versions) <= set(range(1, last + 1))
        srv.call("workspace/symbol", {"query": "x"})  # still serving
        # Publishing happens after the close too (an empty list, no version): nothing later than
        # the latest version was ever published for a document.
        assert srv.shutdown() == 0
    assert srv.tracebacks() == []
    assert not [line for line in srv.stderr_lines if " ERROR " in line]


def _key(diagnostics: list[dict]) -> list[tuple]:
    return sorted(
        (d.get("code"), d["message"], d["range"]["start"]["line"], d["range"]["start"]["character"])
        for d in diagnostics
    )
