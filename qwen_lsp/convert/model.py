"""The model's part in conversion: a statement no rule converts is written by the target
language's module, prompted with a file header in the target language (the file's name, the
source statement quoted in comments, the code converted so far) and completed multi-line at its
end. The engine keeps the answer only if it parses in the target grammar on its own, and the
whole result is parsed again before it is offered.

It goes through the shared :class:`~qwen_lsp.completion.service.CompletionService` (the same
model registry, scheduler, stop rules and post-processing as completions): no second copy of
the model. A target no module serves (Java with the embedded modules) gets no model answer.
"""

from __future__ import annotations

import itertools
import logging

from ..completion.service import CompletionQuery, CompletionService, ModelUnavailable
from ..config import Settings, merge
from ..syntax.document import Document
from ..syntax.languages import default_registry
from ..syntax.text import PositionEncoding

log = logging.getLogger(__name__)

_EXT = {"python": "py", "javascript": "js", "typescript": "ts", "java": "java"}
_ids = itertools.count(1)


class ModelConverter:
    """A :data:`~qwen_lsp.convert.engine.ModelHook` over the completion service."""

    def __init__(
        self,
        service: CompletionService,
        settings: Settings | None = None,
        root: str = "",
        timeout: float = 60.0,
    ) -> None:
        self.service = service
        base = settings or Settings()
        self.settings, _ = merge(
            base,
            {
                "completion": {
                    "crossFile": False,
                    "multiline": "always",
                    "maxTokens": 160,
                    "maxLines": 30,
                    "temperature": 0.0,
                    "syntaxCheck": True,
                    "minChars": 1,
                    "fimOrder": "prefix_only",
                }
            },
        )
        self.root = root
        self.timeout = timeout
        self.calls: list[tuple[str, str, str | None]] = []  # (target, prompt, answer)
        self.failure: str | None = None

    def available(self, target: str) -> bool:
        """Whether a module serves ``target`` (loading it now)."""
        try:
            return self.service.load(target, self.settings) is not None
        except ModelUnavailable as exc:
            self.failure = str(exc)
            return False

    def __call__(self, target: str, prompt: str) -> str | None:
        language = default_registry().by_id(target)
        if language is None or not self.available(target):
            self.calls.append((target, prompt, None))
            return None
        uri = f"qwen-convert://{next(_ids)}/converted.{_EXT.get(target, 'txt')}"
        text = prompt if prompt.endswith("\n") else prompt + "\n"
        doc = Document(uri, text, 0, language, PositionEncoding.UTF32)
        query = CompletionQuery(
            uri,
            doc.snapshot(),
            len(text.encode("utf-8", "surrogatepass")),
            self.settings,
            f"converted.{_EXT.get(target, 'txt')}",
            None,
            self.root,
        )
        answer: str | None = None
        try:
            suggestion = self.service.complete_sync(query, timeout=self.timeout)
            answer = suggestion.text if suggestion is not None else None
        except Exception as exc:  # a failing model costs the statement, not the conversion
            log.info("model conversion failed: %s", exc)
        finally:
            self.service.forget(uri)
        self.calls.append((target, text, answer))
        return answer
