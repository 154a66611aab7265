"""The completion service: document + cursor in, suggestion out.

prepare (worker thread): typing-as-suggested memory -> model (lazy load) -> plan -> windows +
cross-file context under a shared time budget -> prompt (token healing) -> exact cache;
generate (scheduler thread): KV prefix reuse, batching, stop rules;
finish: post-processing -> syntax check -> name check -> caches.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..analysis.cache import SHARED as SHARED_ANALYSIS
from ..analysis.cache import ResultCache
from ..config import Settings
from ..context.crossfile import SourceLines, definition_snippets, similar_chunks
from ..context.windows import Window, cut_windows
from ..engine.generate import GenerationRequest, GenerationResult
from ..engine.module import ModuleError
from ..engine.prompt import Prompt, PromptParts, Snippet, build_prompt, choose_order
from ..engine.registry import LoadedModel, LoadListener, ModelRegistry, resolve_source
from ..engine.scheduler import Expectation, Scheduler
from ..frameworks.context import framework_snippets
from ..frameworks.context import rules_for as framework_rules
from ..index.project import ProjectIndex
from ..syntax.document import Snapshot
from ..syntax.text import decode
from . import postprocess, syntax_check
from .cache import CompletionCache, SuggestionMemory, context_key
from .hybrid import Hybrid
from .name_check import NameCheck
from .plan import Plan, indent_step, inside_indentation, make_plan

log = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """The language has a module, but it cannot be used (the message says why)."""

    def __init__(self, module: str, reason: str) -> None:
        super().__init__(reason)
        self.module = module


@dataclass
class CompletionQuery:
    """One completion request, as the core sees it."""

    uri: str
    snapshot: Snapshot
    offset: int  # byte offset of the cursor
    settings: Settings
    path: str = ""
    index: ProjectIndex | None = None
    root: str = ""
    others: list[tuple[str, str]] = field(default_factory=list)  # other open documents
    listener: LoadListener | None = None
    # Context the caller chose (the function under test, the code being converted): put
    # first in the prompt, inside the cross-file budget, before the sources' own snippets.
    pinned: list[Snippet] = field(default_factory=list)


@dataclass
class Suggestion:
    """What to show at the cursor."""

    text: str
    source: str  # model | remote | cache | typing
    model: str = ""
    multiline: bool = False
    prompt_tokens: int = 0
    reused_tokens: int = 0
    snippets: list[Snippet] = field(default_factory=list)
    finish_reason: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    id: str = ""  # the generation's id (audit log, qwen.acceptSuggestion)


@dataclass
class Prepared:
    """A request ready for the scheduler."""

    query: CompletionQuery
    model: LoadedModel
    request: GenerationRequest
    prompt: Prompt
    plan: Plan
    cache_key: str
    text: str
    cursor: int  # character offset
    snippets: list[Snippet]
    started: float
    context_ms: float
    parts: PromptParts | None = None
    route: str = "local"  # the backend chosen before running: local | remote
    backend: str = "local"  # the backend that answered
    sent_sha256: str | None = None  # of what was sent to the remote
    remote_ms: float = 0.0
    # First tokens of the local candidates the syntax, name or repeat check rejected (see
    # :meth:`retry`), and the check that rejected the last candidate ("syntax", "names" or
    # "repeat"; empty when the last candidate was not rejected).
    rejected_first: list[int] = field(default_factory=list)
    last_rejected_by: str = ""
    # The undefined-name check at this cursor (None: off, or the language has no such rule).
    names: NameCheck | None = None

    @property
    def last_rejected(self) -> bool:
        """Whether a check rejected the last candidate (:meth:`CompletionService.retry` may
        ask again)."""
        return bool(self.last_rejected_by)


@dataclass
class _DocContext:
    window: Window | None = None
    snippets: list[Snippet] = field(default_factory=list)
    snippets_line: int = -1000
    snippets_time: float = 0.0


@dataclass
class ServiceStats:
    """Counters for ``qwen.modelInfo`` and the benchmark."""

    requests: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    rejected_by_syntax: int = 0
    truncated_by_syntax: int = 0
    rejected_by_names: int = 0  # candidates whose first line reads a name nothing binds
    truncated_by_names: int = 0  # cut before the first line that does
    # candidates whose first line is the line below the cursor (Plan.repeats_next_line)
    rejected_as_repeat: int = 0
    # Model runs again after a rejection (CompletionService.retry), by the check that rejected:
    # the syntax check, the name check, or the repeat check.
    syntax_retries: int = 0
    name_retries: int = 0
    repeat_retries: int = 0
    rescued_by_retry: int = 0  # suggestions that came from such a run
    context_sources_skipped: int = 0
    waited_for_indent: int = 0  # requests inside unfinished indentation (no model run)
    prefill_tokens: int = 0
    prefill_seconds: float = 0.0
    decode_tokens: int = 0
    decode_seconds: float = 0.0


class CompletionService:
    """Completions for every session of the process (shares models and the scheduler)."""

    def __init__(
        self, registry: ModelRegistry | None = None, scheduler: Scheduler | None = None
    ) -> None:
        self.registry = registry or ModelRegistry()
        self.scheduler = scheduler or Scheduler()
        self.cache = CompletionCache()
        self.memory = SuggestionMemory()
        self.stats = ServiceStats()
        self.last_run: dict[str, object] | None = None  # the last model run, for modelInfo
        self.last_suggestion: Suggestion | None = None  # what the last stream() ended with
        self.hybrid = Hybrid()  # remote backend routing, redaction, audit log
        # Per-chunk analysis results for the name check: the diagnostics' cache, which already
        # holds every unchanged function of the documents being edited.
        self.analysis_cache: ResultCache | None = SHARED_ANALYSIS
        self._docs: dict[str, _DocContext] = {}
        self._lines = SourceLines({})
        self._lock = threading.Lock()
        # Context sources run here so that a slow one can be skipped, never waited for.
        self._sources: Executor = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="qwen-context"
        )
        self.executor: Executor = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="qwen-complete"
        )

    # -- the whole path ------------------------------------------------------------------

    async def complete(self, query: CompletionQuery) -> Suggestion | None:
        """Complete at the query's cursor; cancelling the awaiting task cancels generation."""
        loop = asyncio.get_running_loop()
        # The scheduler expects this caller while it prepares, and after each answer until it
        # submits a retry or is done: the retries of one batch are decoded together.
        with self.scheduler.expecting() as caller:
            prepared = await loop.run_in_executor(self.executor, self.prepare, query)
            if not isinstance(prepared, Prepared):
                return prepared
            if prepared.route == "remote":
                caller.settle()  # a remote answer takes its own time: no batch waits for it
                answer = await self.hybrid.run(prepared)
                if answer is not None:
                    return self.finish(prepared, answer)
            request: GenerationRequest | None = prepared.request
            suggestion = None
            while request is not None:
                job = caller.submit(prepared.model, request, group=query.uri)
                try:
                    result = await asyncio.wrap_future(job.future)
                except asyncio.CancelledError:
                    job.cancel()
                    raise
                suggestion = self.finish(prepared, result)
                request = self.retry(prepared) if suggestion is None else None
            return suggestion

    def complete_sync(self, query: CompletionQuery, timeout: float = 120.0) -> Suggestion | None:
        """The same path for callers without an event loop (CLI, Python API)."""
        with self.scheduler.expecting() as caller:
            prepared = self.prepare(query)
            if not isinstance(prepared, Prepared):
                return prepared
            if prepared.route == "remote":
                caller.settle()
                answer = asyncio.run(self._remote_once(prepared))
                if answer is not None:
                    return self.finish(prepared, answer)
            return self._run_local(prepared, prepared.request, timeout, caller)

    def _run_local(
        self,
        prepared: Prepared,
        request: GenerationRequest | None,
        timeout: float,
        caller: Expectation,
    ) -> Suggestion | None:
        """Run ``request`` (and the retries the syntax check asks for) on this thread, as
        ``caller`` (so that retries of callers answered together are decoded together)."""
        suggestion = None
        while request is not None:
            job = caller.submit(prepared.model, request, group=prepared.query.uri)
            suggestion = self.finish(prepared, job.future.result(timeout))
            request = self.retry(prepared) if suggestion is None else None
        return suggestion

    async def _remote_once(self, prepared: Prepared) -> GenerationResult | None:
        """The remote's answer from a caller without a loop (a client for this call only)."""
        assert self.hybrid.backend is not None
        async with self.hybrid.backend.new_client() as client:
            return await self.hybrid.run(prepared, client)

    def stream(self, query: CompletionQuery, timeout: float = 120.0) -> Iterator[str]:
        """The same path as :meth:`complete_sync`, yielding the suggestion piece by piece
        while it is decoded (see :mod:`.stream`); the pieces add up to the suggestion, which is
        left in :attr:`last_suggestion`. Closing the iterator early cancels the generation."""
        from .stream import StreamCommitter

        self.last_suggestion = None
        with self.scheduler.expecting() as caller:
            prepared = self.prepare(query)
            if not isinstance(prepared, Prepared):
                # Settled before yielding: the consumer may take its time between pieces.
                caller.settle()
                self.last_suggestion = prepared
                if prepared is not None and prepared.text:
                    yield prepared.text
                return
            if prepared.route == "remote":
                caller.settle()
                # A remote answer comes whole (its own streaming is the backend's business).
                answer = asyncio.run(self._remote_once(prepared))
                if answer is not None:
                    self.last_suggestion = self.finish(prepared, answer)
                    if self.last_suggestion is not None:
                        yield self.last_suggestion.text
                    return
            updates: queue.Queue[str | None] = queue.Queue()
            prepared.request.on_text = updates.put
            settings = query.settings.completion
            committer = StreamCommitter(
                prepared.plan,
                prepared.text[: prepared.cursor],
                prepared.text[prepared.cursor :],
                query.snapshot.language,
                settings.syntaxCheck,
                settings.minChars,
                names=prepared.names,
            )
            job = caller.submit(prepared.model, prepared.request, group=query.uri)
            job.future.add_done_callback(lambda _f: updates.put(None))
            deadline = time.monotonic() + timeout
            try:
                while True:
                    try:
                        partial = updates.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        raise TimeoutError(f"no suggestion within {timeout} s") from None
                    if partial is None:
                        break
                    piece = committer.update(partial)
                    if piece:
                        yield piece
                suggestion = self.finish(prepared, job.future.result(0))
            finally:
                if not job.future.done():
                    job.cancel()
            if suggestion is None and not committer.committed:
                # Nothing shown yet: the retries after a syntax rejection come whole.
                suggestion = self._run_local(prepared, self.retry(prepared), timeout, caller)
            self.last_suggestion = suggestion
            caller.settle()
            final = suggestion.text if suggestion is not None else ""
            if not final.startswith(committer.committed):  # never expected: the committer is exact
                log.error(
                    "streamed text is not a prefix of the suggestion: %r", committer.committed
                )
                return
            if len(final) > len(committer.committed):
                yield final[len(committer.committed) :]

    # -- prepare -------------------------------------------------------------------------

    def module_path(self, language_id: str, settings: Settings) -> Path | None:
        """The module serving a language under these settings."""
        return resolve_source(language_id, settings.models.byLanguage, settings.models.paths)

    def load(
        self,
        language_id: str,
        settings: Settings,
        listener: LoadListener | None = None,
        roots: list[str] | None = None,
    ) -> LoadedModel | None:
        """The loaded module for a language (loading it now); None when no module serves it.
        An encrypted module is decrypted with the configured key, never one from ``roots``."""
        path = self.module_path(language_id, settings)
        if path is None:
            return None
        models = settings.models

        def key_source() -> bytes:
            from ..security.crypto import load_key

            return load_key(models.keyEnv, models.keyFile, [Path(r) for r in roots or [] if r])

        try:
            return self.registry.get(path, listener, key_source)
        except ModuleError as exc:
            raise ModelUnavailable(path.name, str(exc)) from exc

    def prepare(self, query: CompletionQuery) -> Prepared | Suggestion | None:
        """Everything before the model runs (on a worker thread)."""
        started = time.perf_counter()
        self.stats.requests += 1
        snap = query.snapshot
        language = snap.language
        settings = query.settings.completion
        if language is None or not settings.enable:
            return None
        text = snap.text
        cursor = len(decode(snap.data[: query.offset]))
        rest = self.memory.recall(query.uri, text, cursor)
        if rest is not None:
            self._count("typing")
            return Suggestion(
                rest, "typing", timings_ms={"total": (time.perf_counter() - started) * 1000}
            )
        line_start = text.rfind("\n", 0, cursor) + 1
        line_end = text.find("\n", cursor)
        line_end = len(text) if line_end < 0 else line_end
        line_before, line_after = text[line_start:cursor], text[cursor:line_end].rstrip("\r")
        typed = snap.last_insert
        if (
            settings.waitForIndent
            and typed is not None
            and typed[0] == query.offset
            and typed[1].strip(" ") == ""
            and inside_indentation(line_before, lambda: indent_step(text, line_start))
        ):
            # The user is typing spaces towards the block's indentation (the last change put
            # them at the cursor): a suggestion now would sit at the wrong column and be
            # replaced at the next space. Continuation lines, comments and first requests in
            # a document are aligned wherever they are: those get suggestions.
            self.stats.waited_for_indent += 1
            return None
        model = self.load(language.id, query.settings, query.listener, [query.root])
        if model is None:
            return None
        previous = _previous_nonblank(text, line_start)
        following = _next_nonblank(text, line_end)
        node = (
            snap.tree.root_node.named_descendant_for_byte_range(query.offset, query.offset)
            if snap.tree
            else None
        )
        plan = make_plan(
            line_before,
            line_after,
            previous,
            following,
            node,
            settings.multiline,
            settings.maxLines,
        )
        tokenizer = model.tokenizer

        def count(piece: str) -> int:
            return len(tokenizer.encode(piece))

        total = max(
            64, min(settings.contextTokens, model.module.context_length - settings.maxTokens - 16)
        )
        cross_budget = min(settings.crossFileTokens, total * 3 // 10) if settings.crossFile else 0
        suffix_budget = int((total - cross_budget) * settings.suffixShare)
        prefix_budget = total - cross_budget - suffix_budget
        state = self._doc(query.uri)
        window = cut_windows(text, cursor, prefix_budget, suffix_budget, count, state.window)
        state.window = window
        t_ctx = time.perf_counter()
        pinned = _within(query.pinned, cross_budget, count)
        cross_budget -= sum(count(sn.text) + 8 for sn in pinned)
        snippets = pinned + (
            self._snippets(query, text, cursor, window, cross_budget, count, state)
            if cross_budget > 0
            else []
        )
        context_ms = (time.perf_counter() - t_ctx) * 1000
        order = choose_order(model.module.fim, settings.fimOrder)
        parts = PromptParts(
            window.prefix, window.suffix, _relative(query.path, query.root), tuple(snippets)
        )
        prompt = build_prompt(tokenizer, parts, order)
        route = self.hybrid.route(query)
        key = context_key(
            model.module.digest(),
            prompt.ids,
            prompt.heal,
            f"{plan.multiline}{settings.temperature}{settings.seed}{settings.maxTokens}{route}",
        )
        self.cache.resize(settings.cacheSize)  # the setting as the client last sent it
        cached = self.cache.get(key)
        if cached is not None:
            self._count("cache")
            self.memory.remember(query.uri, text, cursor, cached)
            return Suggestion(
                cached,
                "cache",
                model.name,
                plan.multiline,
                len(prompt.ids),
                snippets=snippets,
                timings_ms={"total": (time.perf_counter() - started) * 1000},
            )
        request = GenerationRequest(
            prompt=prompt.ids,
            max_new_tokens=settings.maxTokens,
            heal=prompt.heal,
            temperature=settings.temperature,
            top_p=settings.topP,
            seed=settings.seed,
            stop=plan.stopper(),
            cache_key=query.uri,
        )
        return Prepared(
            query,
            model,
            request,
            prompt,
            plan,
            key,
            text,
            cursor,
            snippets,
            started,
            context_ms,
            parts,
            route,
            names=NameCheck.at(snap, query.offset, self.analysis_cache)
            if settings.nameCheck
            else None,
        )

    def _snippets(
        self,
        query: CompletionQuery,
        text: str,
        cursor: int,
        window: Window,
        budget: int,
        count: Callable[[str], int],
        state: _DocContext,
    ) -> list[Snippet]:
        cursor_line = text.count("\n", 0, cursor)
        now = time.monotonic()
        # Sticky: the same snippets while the cursor stays in the same region, so the prompt's
        # beginning (and the KV cache behind it) survives keystrokes.
        if abs(cursor_line - state.snippets_line) <= 8 and now - state.snippets_time < 30:
            return state.snippets
        near = "\n".join(text[:cursor].split("\n")[-30:])
        deadline = now + query.settings.completion.contextTimeMs / 1000
        language_id = query.snapshot.language.id if query.snapshot.language else None
        # Third source: files the project's frameworks relate to this one (a Django app's
        # models while editing its views); it takes a third of the budget from definitions.
        framework = bool(query.path) and bool(framework_rules(query.path, language_id))
        tasks = []
        if framework:
            tasks.append(
                self._sources.submit(
                    framework_snippets,
                    query.path,
                    query.root,
                    language_id,
                    text,
                    query.snapshot.tree,
                    query.index,
                    budget // 3 or budget,
                    count,
                    deadline,
                    self._lines,
                )
            )
        if query.index is not None and query.path:
            tasks.append(
                self._sources.submit(
                    definition_snippets,
                    query.index,
                    query.path,
                    near,
                    (budget // 3 if framework else budget * 2 // 3) or budget,
                    count,
                    deadline,
                    self._lines,
                    query.root,
                    query.snapshot.language.id if query.snapshot.language else None,
                )
            )
        if query.others:
            tasks.append(
                self._sources.submit(
                    similar_chunks,
                    near,
                    [(_relative(p, query.root), t) for p, t in query.others],
                    budget // 3 or budget,
                    count,
                    deadline,
                )
            )
        snippets: list[Snippet] = []
        for task in tasks:
            try:
                snippets.extend(task.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                self.stats.context_sources_skipped += 1
                log.debug("a context source missed its time budget and was skipped")
            except Exception:
                log.exception("a context source failed")
        if framework:
            # A definition the framework source already quotes whole is not repeated.
            quoted = [sn.text for sn in snippets if sn.source == "framework"]
            snippets = [
                sn
                for sn in snippets
                if sn.source == "framework" or not any(sn.text in q for q in quoted)
            ]
        state.snippets, state.snippets_line, state.snippets_time = snippets, cursor_line, now
        return snippets

    # -- finish --------------------------------------------------------------------------

    def finish(self, prepared: Prepared, result: GenerationResult) -> Suggestion | None:
        """Post-process and check the generated text; remember it."""
        t0 = time.perf_counter()
        settings = prepared.query.settings.completion
        self.stats.prefill_tokens += result.prompt_tokens - result.reused_tokens
        self.stats.prefill_seconds += result.prefill_seconds
        # A batch's decode time is shared by its jobs: count each job's share once.
        self.stats.decode_tokens += len(result.tokens)
        self.stats.decode_seconds += result.decode_seconds / max(1, result.batch_size)
        text = postprocess.finish(result.text, prepared.plan, settings.minChars)
        language = prepared.query.snapshot.language
        retried = bool(prepared.rejected_first)
        prepared.last_rejected_by = ""
        rejected_by = ""  # the check that rejected the whole candidate: retry from another start
        if text is not None and prepared.plan.repeats_next_line(text):
            # Checked first: the syntax and name checks may shorten a candidate but keep its
            # first line, so none of them could turn a repeat into something else.
            self.stats.rejected_as_repeat += 1
            rejected_by = "repeat"
            text = None
        before = prepared.text[: prepared.cursor]
        after = prepared.text[prepared.cursor :]
        if text is not None and settings.syntaxCheck and language is not None:
            checked = syntax_check.check(language, before, after, text)
            if checked is None and (closed := _closed_doc_block(text, prepared.plan)):
                # The model ran out inside a docstring (its favourite start of a body): offer
                # the first paragraph, closed, if that parses. Offered as it is: finishing it
                # again could cut the closing line and leave the block open.
                if syntax_check.check(language, before, after, closed) == closed:
                    self.stats.truncated_by_syntax += 1
                    text = closed
                else:
                    self.stats.rejected_by_syntax += 1
                    text = None
            elif checked is None:
                self.stats.rejected_by_syntax += 1
                text = None
            else:
                if checked != text:
                    self.stats.truncated_by_syntax += 1
                text = postprocess.finish(checked, prepared.plan, settings.minChars)
            if checked is None and text is None:
                rejected_by = "syntax"
        if text is not None and prepared.names is not None:
            named = prepared.names.check(text, lambda part: _reshape(prepared, part))
            if named is None:
                self.stats.rejected_by_names += 1
                rejected_by = "names"
            elif named != text:
                self.stats.truncated_by_names += 1
            text = named
        if rejected_by and result.tokens and prepared.backend == "local":
            prepared.last_rejected_by = rejected_by
            prepared.rejected_first.append(result.tokens[0])
        timings = {
            "context": prepared.context_ms,
            "prefill": result.prefill_seconds * 1000,
            "decode": result.decode_seconds * 1000,
            "post": (time.perf_counter() - t0) * 1000,
            "total": (time.perf_counter() - prepared.started) * 1000,
        }
        remote = prepared.backend == "remote"
        if remote:
            timings["remote"] = prepared.remote_ms
        model_name = prepared.model.name
        if remote and self.hybrid.backend is not None:
            model_name = self.hybrid.backend.config.model or self.hybrid.backend.config.url
        generation_id = self.hybrid.record(prepared, text, result)
        self.last_run = {
            "model": model_name,
            "backend": prepared.backend,
            "prompt_tokens": len(prepared.prompt.ids),
            "reused_tokens": result.reused_tokens,
            "generated_tokens": len(result.tokens),
            "finish_reason": result.finish_reason,
            "order": prepared.prompt.order,
            "snippets": [sn.path for sn in prepared.snippets],
            "snippet_sources": [sn.source for sn in prepared.snippets],
            "suggested": text is not None,
            "timings_ms": {k: round(v, 1) for k, v in timings.items()},
        }
        if text is None:
            self.stats.empty += 1
            return None
        source = "remote" if remote else "model"
        self._count(source)
        if retried:
            self.stats.rescued_by_retry += 1
        if prepared.backend == prepared.route:
            self.cache.put(prepared.cache_key, text)
        self.memory.remember(prepared.query.uri, prepared.text, prepared.cursor, text)
        return Suggestion(
            text,
            source,
            model_name,
            prepared.plan.multiline,
            len(prepared.prompt.ids),
            result.reused_tokens,
            prepared.snippets,
            result.finish_reason,
            timings,
            generation_id,
        )

    def retry(self, prepared: Prepared) -> GenerationRequest | None:
        """The next request after :meth:`finish` gave nothing because the syntax check, the
        name check or the repeat check rejected the model's candidate: the same prompt with
        that candidate's first token (and those of earlier rejected ones) excluded, so greedy
        decoding follows the model's next most likely start. None when the last candidate was not rejected by a
        check or ``completion.syntaxRetries`` are used up. The prompt's KV state is still
        cached, so a retry costs about one decode."""
        limit = prepared.query.settings.completion.syntaxRetries
        rejected_by = prepared.last_rejected_by
        if not rejected_by or len(prepared.rejected_first) > limit:
            return None
        prepared.last_rejected_by = ""
        if rejected_by == "names":
            self.stats.name_retries += 1
        elif rejected_by == "repeat":
            self.stats.repeat_retries += 1
        else:
            self.stats.syntax_retries += 1
        return replace(prepared.request, exclude_first=tuple(prepared.rejected_first), on_text=None)

    # -- bookkeeping ---------------------------------------------------------------------

    def _doc(self, uri: str) -> _DocContext:
        with self._lock:
            state = self._docs.get(uri)
            if state is None:
                state = self._docs[uri] = _DocContext()
            return state

    def _count(self, source: str) -> None:
        self.stats.by_source[source] = self.stats.by_source.get(source, 0) + 1

    def forget(self, uri: str) -> None:
        """A document closed: drop its state and KV slot."""
        with self._lock:
            self._docs.pop(uri, None)
        self.memory.forget(uri)
        for model in self.registry.loaded():
            model.prefix_cache.drop(uri)

    def close(self) -> None:
        """Stop the scheduler and worker threads."""
        self.scheduler.close()
        self._sources.shutdown(wait=False, cancel_futures=True)
        self.executor.shutdown(wait=False, cancel_futures=True)


def _reshape(prepared: Prepared, text: str) -> str | None:
    """What :meth:`CompletionService.finish` makes of ``text`` before the name check: the
    syntax check (when on) and post-processing; the name check's truncations go through it
    again."""
    settings = prepared.query.settings.completion
    language = prepared.query.snapshot.language
    if settings.syntaxCheck and language is not None:
        checked = syntax_check.check(
            language, prepared.text[: prepared.cursor], prepared.text[prepared.cursor :], text
        )
        if checked is None:
            return None
        text = checked
    return postprocess.finish(text, prepared.plan, settings.minChars)


_DOC_BLOCKS = (('"""', '"""'), ("'''", "'''"), ("/**", "*/"))


def _closed_doc_block(text: str, plan: Plan) -> str | None:
    """A multi-line ``text`` that opens a doc block (docstring, JSDoc comment) and never closes
    it, cut after the block's first paragraph and closed; None for any other text."""
    if not plan.multiline:
        return None
    head = text.lstrip()
    for opener, closer in _DOC_BLOCKS:
        if head.startswith(opener) and closer not in head[len(opener) :]:
            break
    else:
        return None
    lines = text.split("\n")
    kept = [lines[0].rstrip()]
    for line in lines[1:]:
        if not line.strip():
            if len(kept) > 1 or kept[0].strip() != opener:
                break  # the end of the first paragraph
            continue
        kept.append(line.rstrip())
    if len(kept) == 1 and kept[0].strip() == opener:
        return None  # nothing but the opener
    last = kept[-1] if len(kept) > 1 else plan.indent
    indent = last[: len(last) - len(last.lstrip())] if len(kept) > 1 else plan.indent
    if closer == "*/":
        star = kept[-1].find("*") if len(kept) > 1 else -1
        indent = kept[-1][:star] if star > 0 and not kept[-1][:star].strip() else indent + " "
    return "\n".join(kept) + "\n" + indent + closer


def _within(snippets: list[Snippet], budget: int, count: Callable[[str], int]) -> list[Snippet]:
    """The leading snippets that fit in ``budget`` tokens."""
    out: list[Snippet] = []
    for snippet in snippets:
        cost = count(snippet.text) + 8
        if cost > budget:
            break
        budget -= cost
        out.append(snippet)
    return out


def _previous_nonblank(text: str, line_start: int) -> str:
    end = line_start - 1
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if line.strip():
            return line
        end = start - 1
    return ""


def _next_nonblank(text: str, line_end: int) -> str:
    start = line_end + 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line.strip():
            return line
        start = end + 1
    return ""


def _relative(path: str, root: str) -> str:
    if not path:
        return ""
    if root:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            pass
    return Path(path).name
