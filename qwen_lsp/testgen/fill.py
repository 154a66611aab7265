"""The model's part in test generation: it proposes one check per target, as the completion of
``assert <call>(`` (Python) or ``assert.deepStrictEqual(<call>(`` (JavaScript) at the end of
the test file being written, with the target's source pinned into the prompt. Proposals are
parsed and kept only when they have the expected shape; ``--run`` then keeps the ones that pass.

It goes through the shared :class:`~qwen_lsp.completion.service.CompletionService` (the same
model registry, scheduler and post-processing as completions): no second copy of the model.
"""

from __future__ import annotations

import ast
import itertools
import logging
import re
from pathlib import Path

from ..completion.service import CompletionQuery, CompletionService, ModelUnavailable
from ..config import Settings, merge
from ..engine.prompt import Snippet
from ..syntax.document import Document
from ..syntax.languages import Language
from ..syntax.text import PositionEncoding
from .model import Case, Target

log = logging.getLogger(__name__)

_SOURCE_LINES = 60
_ids = itertools.count(1)


class ModelFiller:
    """Proposals from the language's model module (none when no module serves it)."""

    def __init__(
        self, service: CompletionService, settings: Settings | None = None, root: str = ""
    ) -> None:
        self.service = service
        base = settings or Settings()
        self.settings, _ = merge(
            base,
            {
                "completion": {
                    "crossFile": True,
                    "crossFileTokens": max(base.completion.crossFileTokens, 512),
                    "multiline": "never",
                    "maxTokens": 40,
                    "temperature": 0.0,
                    "syntaxCheck": True,
                    "minChars": 1,
                }
            },
        )
        self.root = root
        self.model_name: str | None = None
        self.failure: str | None = None

    def available(self, language: Language) -> bool:
        """Whether a module serves ``language`` (loading it now)."""
        try:
            model = self.service.load(language.id, self.settings)
        except ModelUnavailable as exc:
            self.failure = str(exc)
            return False
        if model is None:
            return False
        self.model_name = model.name
        return True

    def complete(
        self, language: Language, test_path: Path, prefix: str, pinned: list[Snippet]
    ) -> str | None:
        """The model's single-line completion at the end of ``prefix``."""
        uri = f"qwen-testgen://{next(_ids)}/{test_path.name}"
        doc = Document(uri, prefix + "\n", 0, language, PositionEncoding.UTF32)
        query = CompletionQuery(
            uri,
            doc.snapshot(),
            len(prefix.encode("utf-8", "surrogatepass")),
            self.settings,
            str(test_path),
            None,
            self.root,
            pinned=pinned,
        )
        try:
            suggestion = self.service.complete_sync(query, timeout=60)
        except Exception as exc:  # a failing model costs the proposal, not the run
            log.info("model proposal failed: %s", exc)
            return None
        finally:
            self.service.forget(uri)
        return suggestion.text if suggestion is not None else None

    def propose_python(
        self,
        language: Language,
        target: Target,
        callee: str,
        header: str,
        test_path: Path,
        source_path: str,
        fixture: str = "",
    ) -> Case | None:
        """``assert callee(...) == ...`` proposed by the model for ``target``."""
        name = re.sub(r"\W", "_", callee).lower().strip("_")
        params = fixture
        prefix = f"{header.rstrip()}\n\n\ndef test_{name}({params}):\n    assert {callee}("
        pinned = [Snippet(source_path, _head(target.source), "definition")]
        text = self.complete(language, test_path, prefix, pinned)
        if not text:
            return None
        line = f"assert {callee}({text.strip()}"
        return _python_case(line, callee, target)

    def propose_javascript(
        self,
        language: Language,
        target: Target,
        callee: str,
        header: str,
        test_path: Path,
        source_path: str,
        setup: list[str],
    ) -> Case | None:
        """``assert.deepStrictEqual(callee(...), ...)`` proposed by the model for ``target``."""
        lines = "".join(f"  {s}\n" for s in setup)
        prefix = (
            f"{header.rstrip()}\n\ntest({callee!r}, () => {{\n{lines}"
            f"  assert.deepStrictEqual({callee}("
        )
        pinned = [Snippet(source_path, _head(target.source), "definition")]
        text = self.complete(language, test_path, prefix, pinned)
        if not text:
            return None
        m = re.match(r"^(?P<args>.*?)\),\s*(?P<want>.+?)\);?\s*$", text.strip())
        if not m or callee in m.group("want"):
            return None
        want = m.group("want")
        if want.count("(") != want.count(")") or want.count("[") != want.count("]"):
            return None
        return Case(
            target.qualname, f"{callee}({m.group('args')})", "model", expected=want, setup=setup
        )


def _head(source: str) -> str:
    lines = source.splitlines()
    return "\n".join(lines[:_SOURCE_LINES])


def _python_case(line: str, callee: str, target: Target) -> Case | None:
    """A proposal ``assert <call> == <value>`` as a case (None for anything else)."""
    try:
        tree = ast.parse(line)
    except SyntaxError:
        return None
    stmt = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(stmt, ast.Assert) or not isinstance(stmt.test, ast.Compare):
        return None
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], (ast.Eq, ast.Is)):
        return None
    call, expected = ast.unparse(test.left), ast.unparse(test.comparators[0])
    if not isinstance(test.left, ast.Call) or not call.startswith(callee + "("):
        return None
    if callee.split(".")[-1] + "(" in expected:  # compares the function with itself
        return None
    compare = "is" if isinstance(test.ops[0], ast.Is) else "eq"
    return Case(target.qualname, call, "model", expected=expected, compare=compare)
