"""``workspace/executeCommand`` ``qwen.debugDocument``: what the server holds for one open
document, as hashes a client can compare with its own copy.

Arguments: ``[uri]`` or ``[{"uri": uri}]``. The answer::

    {"uri", "version", "revision", "language", "encoding", "bytes", "lines",
     "textSha256",        # SHA-256 of the document's UTF-8 bytes
     "tree",              # whether a tree is kept (false: not parsed, see parseSkipped)
     "parseSkipped",      # why not (too large, binary), or null
     "treeSexpSha256",    # SHA-256 of the tree's S-expression (str(root_node))
     "treeNodesSha256"}   # SHA-256 of every node, named or not, in pre-order: type, byte
                          # range, points, missing flag and field name (see tree_digest)

The S-expression alone does not show where nodes are; the node digest does, so a tree edited
incrementally that equals a fresh parse of the same text has the same two hashes. Clients and
tests compute the fresh side with :func:`tree_digest` and :func:`text_digest`. The command
reads state only; an unknown document is answered with ``RequestFailed``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import tree_sitter as ts
from pygls.exceptions import JsonRpcInvalidParams

# A real import, not a TYPE_CHECKING one: pygls reads command handlers' annotations.
from ..server import QwenLanguageServer

DEBUG_DOCUMENT = "qwen.debugDocument"


def text_digest(data: bytes) -> str:
    """SHA-256 of a document's bytes."""
    return hashlib.sha256(data).hexdigest()


def sexp_digest(tree: ts.Tree) -> str:
    """SHA-256 of the tree's S-expression."""
    return hashlib.sha256(str(tree.root_node).encode("utf-8", "surrogatepass")).hexdigest()


def tree_digest(tree: ts.Tree) -> str:
    """SHA-256 over every node in pre-order (iterative: deep trees are fine): type, named,
    byte range, start and end points, missing, and the field it fills in its parent."""
    h = hashlib.sha256()
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        h.update(
            (
                f"{node.type}|{int(node.is_named)}|{node.start_byte}|{node.end_byte}|"
                f"{tuple(node.start_point)}|{tuple(node.end_point)}|{int(node.is_missing)}|"
                f"{cursor.field_name}\n"
            ).encode("utf-8", "surrogatepass")
        )
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return h.hexdigest()


def _uri_argument(args: tuple[Any, ...]) -> str:
    arg: Any = args[0] if args else None
    if isinstance(arg, list):  # some clients wrap the arguments once more
        arg = arg[0] if arg else None
    if isinstance(arg, dict):
        arg = arg.get("uri")
    if not isinstance(arg, str) or not arg:
        raise JsonRpcInvalidParams(f'{DEBUG_DOCUMENT}: expected [uri] or [{{"uri": uri}}]')
    return arg


def debug_document(ls: QwenLanguageServer, uri: str) -> dict[str, Any]:
    """The state of one open document (see the module docstring)."""
    doc = ls.document(uri)
    tree = doc.tree
    return {
        "uri": doc.uri,
        "version": doc.version,
        "revision": doc.revision,
        "language": doc.language.id if doc.language is not None else None,
        "encoding": doc.encoding.value if hasattr(doc.encoding, "value") else str(doc.encoding),
        "bytes": len(doc.buffer.data),
        "lines": doc.buffer.line_count,
        "textSha256": text_digest(doc.buffer.data),
        "tree": tree is not None,
        "parseSkipped": doc.parse_skipped_reason,
        "treeSexpSha256": sexp_digest(tree) if tree is not None else None,
        "treeNodesSha256": tree_digest(tree) if tree is not None else None,
    }


def register(server: QwenLanguageServer) -> None:
    """Register ``qwen.debugDocument``."""

    @server.command(DEBUG_DOCUMENT)
    def cmd_debug_document(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        return debug_document(ls, _uri_argument(args))
