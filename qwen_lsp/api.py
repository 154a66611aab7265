"""The Python API: completions from scripts and notebooks, through the server's own path::

    from qwen_lsp import LocalEngine

    engine = LocalEngine()  # the embedded module of each language
    text = engine.complete("def calculate_discount(price, discount_rate):\\n    ")
    for piece in engine.stream("def area(w, h):\\n    "):
        print(piece, end="")

``LocalEngine`` is a thin front over :class:`~qwen_lsp.completion.service.CompletionService`:
the same model registry (lazy load, SHA-256 check), scheduler, prompt windows, cross-file
context (when a ``project`` folder is given), stop rules, post-processing and syntax check as
the language server. ``stream`` yields the suggestion while it is decoded (see
:mod:`qwen_lsp.completion.stream`); its pieces always add up to what ``complete`` returns.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .completion.service import CompletionQuery, CompletionService, ModelUnavailable, Suggestion
from .config import Settings, load_user_settings, merge
from .engine.registry import ModelRegistry
from .engine.scheduler import Scheduler
from .syntax.document import Document
from .syntax.languages import Language, default_registry
from .syntax.text import PositionEncoding

DEVICES = ("cpu", "cuda", "auto")
_ids = itertools.count(1)


class EngineError(RuntimeError):
    """No model can serve the request (the message says why)."""


class LocalEngine:
    """Completions from a local model module, as the language server makes them.

    ``model_path``: a module folder (``model.json``), a hub-layout folder
    (``config.json``, ``tokenizer.json``, ``onnx/model*.onnx``), an ``.onnx`` file, or the
    name of an embedded module; None uses the embedded module of each language.
    ``device``: ``"cpu"``, ``"cuda"`` (falls back to the CPU, with a warning, when ONNX
    Runtime has no CUDA provider) or ``"auto"``.
    ``project``: a folder to index for cross-file context (definitions of the names used near
    the cursor); completions then take the ``path`` of the file being completed.
    ``settings``: qwen-lsp settings to override, nested or dotted as in the server's
    settings file (``{"completion": {"temperature": 0.2}}``).
    ``use_user_settings``: also read the user's settings file (off by default, so a script
    gives the same answers on every machine).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        device: str = "cpu",
        *,
        project: str | Path | None = None,
        settings: Mapping[str, Any] | None = None,
        threads: int = 0,
        use_user_settings: bool = False,
    ) -> None:
        if device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
        self.model_path: str | None = None
        if model_path is not None:
            candidate = Path(model_path).expanduser()
            if candidate.exists():
                self.model_path = str(candidate.resolve())
            elif "/" in str(model_path) or str(model_path).endswith(".onnx"):
                raise FileNotFoundError(f"no model module at {model_path}")
            else:
                self.model_path = str(model_path)  # an embedded module's name
        self.device = device
        sources: list[Any] = []
        if use_user_settings:
            user, _problems = load_user_settings()
            sources.append(user)
        sources.append({"models": {"executionProvider": device, "threads": threads}})
        if settings:
            sources.append(dict(settings))
        self.settings, problems = merge(Settings(), *sources)
        if problems:
            raise ValueError("invalid settings: " + "; ".join(problems))
        self.project = Path(project).resolve() if project is not None else None
        self._indexer: Any = None
        self._index_lock = threading.Lock()
        self._id = next(_ids)
        self.service = CompletionService(ModelRegistry(device, threads), Scheduler())
        self._closed = False

    # -- completions --------------------------------------------------------------------

    def complete(
        self,
        context: str,
        max_tokens: int = 50,
        suffix: str = "",
        language: str = "python",
        *,
        path: str | Path | None = None,
    ) -> str:
        """The completion of ``context`` (the code before the cursor) with ``suffix`` after
        it; '' when the engine has nothing worth suggesting there."""
        suggestion = self.suggest(context, max_tokens, suffix, language, path=path)
        return suggestion.text if suggestion is not None else ""

    def stream(
        self,
        context: str,
        max_tokens: int = 50,
        suffix: str = "",
        language: str = "python",
        *,
        path: str | Path | None = None,
    ) -> Iterator[str]:
        """Yield the completion piece by piece while it is decoded: a multi-line suggestion
        line by line, a single-line one when its line is done. ``"".join(...)`` of the pieces
        equals :meth:`complete`'s answer for the same arguments."""
        query = self._query(context, max_tokens, suffix, language, path)
        try:
            yield from self.service.stream(query)
        except ModelUnavailable as exc:
            raise EngineError(f"no model for {query.snapshot.language.id}: {exc}") from exc  # type: ignore[union-attr]

    def suggest(
        self,
        context: str,
        max_tokens: int = 50,
        suffix: str = "",
        language: str = "python",
        *,
        path: str | Path | None = None,
    ) -> Suggestion | None:
        """The whole :class:`Suggestion` (text, model, prompt tokens, snippets, timings)."""
        query = self._query(context, max_tokens, suffix, language, path)
        try:
            return self.service.complete_sync(query)
        except ModelUnavailable as exc:
            raise EngineError(f"no model for {query.snapshot.language.id}: {exc}") from exc  # type: ignore[union-attr]

    @property
    def last_run(self) -> dict[str, object] | None:
        """What the last model run did (prompt tokens, snippets, timings), as ``qwen.modelInfo``
        reports it."""
        return self.service.last_run

    def model_name(self, language: str = "python") -> str:
        """The name of the module serving ``language`` (loading it now)."""
        lang = self._language(language, None)
        model = self.service.load(lang.id, self._settings_for(lang, 1))
        if model is None:
            raise EngineError(self._no_model(lang))
        return model.name

    # -- plumbing -----------------------------------------------------------------------

    def _language(self, language: str, path: str | Path | None) -> Language:
        registry = default_registry()
        lang = registry.by_id(language) or (registry.for_path(path) if path else None)
        if lang is None:
            raise ValueError(f"unknown language {language!r}")
        return lang

    def _settings_for(self, language: Language, max_tokens: int) -> Settings:
        overrides: dict[str, Any] = {"completion": {"maxTokens": max_tokens}}
        if self.model_path is not None:
            overrides["models"] = {"byLanguage": {language.id: self.model_path}}
        settings, problems = merge(self.settings, overrides)
        if problems:
            raise ValueError("; ".join(problems))
        return settings

    def _no_model(self, language: Language) -> str:
        return (
            f"no model module serves {language.id!r}: pass model_path= (a module folder, a "
            "hub-layout folder or an .onnx file)"
        )

    def _query(
        self,
        context: str,
        max_tokens: int,
        suffix: str,
        language: str,
        path: str | Path | None,
    ) -> CompletionQuery:
        if self._closed:
            raise EngineError("the engine is closed")
        lang = self._language(language, path)
        settings = self._settings_for(lang, max_tokens)
        if self.service.module_path(lang.id, settings) is None:
            raise EngineError(self._no_model(lang))
        file_path = str(Path(path).resolve()) if path is not None else ""
        ext = lang.spec.extensions[0] if lang.spec.extensions else ""
        name = file_path or f"untitled{ext}"
        # One document per thread and file: the KV prefix cache and the sticky prompt windows
        # work across calls, and calls from other threads never supersede each other.
        uri = f"qwen-lsp-api://{self._id}/{threading.get_ident()}/{name.lstrip('/')}"
        text = context + suffix
        doc = Document(uri, text, 0, lang, PositionEncoding.UTF32)
        index, root = self._index()
        return CompletionQuery(
            uri,
            doc.snapshot(),
            len(context.encode("utf-8", "surrogatepass")),
            settings,
            file_path,
            index,
            root,
        )

    def _index(self) -> tuple[Any, str]:
        if self.project is None:
            return None, ""
        with self._index_lock:
            if self._indexer is None:
                from .index.indexer import WorkspaceIndexer

                self._indexer = WorkspaceIndexer([self.project], default_registry())
                self._indexer.index_all()
        return self._indexer.index, str(self.project)

    def close(self) -> None:
        """Stop the engine's worker threads and drop its models."""
        if self._closed:
            return
        self._closed = True
        self.service.close()
        self.service.registry.unload_all()
        if self._indexer is not None:
            self._indexer.close()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        model = self.model_path or "embedded"
        return f"LocalEngine(model_path={model!r}, device={self.device!r})"
