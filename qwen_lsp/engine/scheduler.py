"""The scheduler: one worker thread owns model execution; requests queue, can be cancelled or
superseded (a newer request for the same document cancels older ones, so a stale answer is never
computed to the end), and requests waiting together are decoded together (dynamic batching).

A batch waits a moment for jobs whose callers said they are on their way (:class:`Expectation`):
requests still being prepared, and callers that just got an answer and may send a follow-up
(a retry of a rejected candidate), so that the follow-ups of one batch are decoded together
too instead of one by one.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import weakref
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from types import TracebackType

from .generate import GenerationRequest, GenerationResult, SequenceState, decode, prefill
from .registry import LoadedModel
from .session import DecoderSession

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The request was cancelled (by the client, or superseded by a newer one)."""


@dataclass
class Job:
    """One queued generation."""

    model: LoadedModel
    request: GenerationRequest
    group: str | None = None
    future: Future[GenerationResult] = field(default_factory=Future)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    submitted: float = field(default_factory=time.perf_counter)
    started: float = 0.0

    def cancel(self) -> None:
        """Stop this job as soon as possible (between decode steps or prefill chunks)."""
        self.cancel_event.set()


@dataclass
class SchedulerStats:
    """Counters for ``qwen.modelInfo`` and the benchmark."""

    jobs: int = 0
    cancelled: int = 0
    batches: int = 0
    batched_jobs: int = 0
    max_batch: int = 0
    queue_wait_ms: list[float] = field(default_factory=list)
    follow_ups: int = 0  # jobs submitted by a caller after an answer it was expected to follow
    follow_ups_expired: int = 0  # answered callers that neither followed up nor settled in time
    workspace_freed_bytes: int = 0  # batch workspaces released while idle


class Expectation:
    """A caller on its way to the scheduler (from :meth:`Scheduler.expecting`; use it as a
    context manager). The worker counts it as coming, and a batch it starts waits for it (up
    to the scheduler's ``coming_wait``), while it prepares a request, and again after each
    answer to a job submitted through :meth:`submit`, until it submits the follow-up, settles
    or ``coming_wait`` has passed since the answer (a caller that never settles holds up one
    batch at most)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self.job: Job | None = None  # the last job submitted through it
        self.follow_by: float | None = None  # answered: expected until then; None: preparing
        self.answered = False

    def __enter__(self) -> Expectation:
        self._scheduler._expect(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.settle()

    def submit(
        self, model: LoadedModel, request: GenerationRequest, group: str | None = None
    ) -> Job:
        """:meth:`Scheduler.submit`, after which this caller is expected again as soon as the
        job is answered."""
        return self._scheduler.submit(model, request, group, self)

    def settle(self) -> None:
        """Nothing more is coming from this caller (for now: a later :meth:`submit` works)."""
        self._scheduler._settle(self)


class Scheduler:
    """Runs generation jobs on one worker thread."""

    def __init__(
        self,
        max_batch: int = 8,
        batch_wait: float = 0.002,
        idle_check: float = 30.0,
        coming_wait: float = 0.1,
    ) -> None:
        self.max_batch = max_batch
        self.batch_wait = batch_wait
        self.idle_check = idle_check
        # Requests still being prepared (prompt windows, context), and follow-ups of callers
        # just answered, will be submitted in a moment: the worker waits for them, up to
        # ``coming_wait`` seconds, so that they join this batch instead of queueing behind its
        # whole decode (see :meth:`expecting`).
        self._expected: set[Expectation] = set()
        self.coming_wait = coming_wait
        # Sessions whose batch workspace the worker frees when it idles.
        self._sessions: weakref.WeakSet[DecoderSession] = weakref.WeakSet()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._groups: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.stats = SchedulerStats()
        self.on_idle: list[object] = []  # callables run on the worker when no job arrives
        self._thread = threading.Thread(target=self._run, name="qwen-scheduler", daemon=True)
        self._thread.start()

    def submit(
        self,
        model: LoadedModel,
        request: GenerationRequest,
        group: str | None = None,
        caller: Expectation | None = None,
    ) -> Job:
        """Queue a job; a queued or running job of the same ``group`` is cancelled. A
        ``caller`` (:meth:`Expectation.submit`) is expected again once the job is answered."""
        job = Job(model, request, group)
        job.request.cancelled = job.cancel_event.is_set
        with self._lock:
            if group is not None:
                older = self._groups.get(group)
                if older is not None:
                    older.cancel()
                self._groups[group] = job
            self.stats.jobs += 1
            if caller is not None:
                if caller in self._expected and caller.answered:
                    self.stats.follow_ups += 1
                self._expected.discard(caller)
                caller.job = job
        if caller is not None:
            job.future.add_done_callback(lambda _f: self._answered(caller, job))
        self._queue.put(job)
        return job

    def expecting(self) -> Expectation:
        """A caller on its way: while it prepares a request (and after each answer to a job it
        submits through it, until it follows up or settles), a batch the worker starts waits
        for it. Use as a context manager around the whole request."""
        return Expectation(self)

    def _expect(self, caller: Expectation) -> None:
        with self._lock:
            caller.follow_by, caller.answered = None, False
            self._expected.add(caller)

    def _settle(self, caller: Expectation) -> None:
        with self._lock:
            self._expected.discard(caller)
            caller.job = None  # its job's answer, still to come, expects nothing more

    def _answered(self, caller: Expectation, job: Job) -> None:
        # Runs where the future was completed (the worker, or a waiter that cancelled it).
        with self._lock:
            if caller.job is job:
                caller.answered = True
                caller.follow_by = time.perf_counter() + self.coming_wait
                self._expected.add(caller)

    def _coming(self) -> int:
        """Callers expected to submit a job soon (expired follow-ups are forgotten)."""
        now = time.perf_counter()
        with self._lock:
            expired = [c for c in self._expected if c.follow_by is not None and c.follow_by <= now]
            for caller in expired:
                self._expected.discard(caller)
            self.stats.follow_ups_expired += len(expired)
            return len(self._expected)

    def close(self) -> None:
        """Stop the worker (pending jobs are cancelled)."""
        self._stop.set()
        self._queue.put(None)  # type: ignore[arg-type]
        self._thread.join(timeout=5)

    # -- worker ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=self.idle_check)
            except queue.Empty:
                for session in list(self._sessions):
                    # Idle: the merged-batch buffers go (the next batch touches new ones once).
                    self.stats.workspace_freed_bytes += session.workspace.free()
                for callback in list(self.on_idle):
                    try:
                        callback()  # type: ignore[operator]
                    except Exception:
                        log.exception("idle task failed")
                continue
            if first is None:
                break
            batch = [first]
            started = time.perf_counter()
            deadline = started + self.batch_wait
            later: list[Job] = []
            while len(batch) < self.max_batch:
                coming = self._coming()
                if coming:
                    # Look again every 10 ms while requests are on their way, up to the cap.
                    deadline = max(
                        deadline, min(started + self.coming_wait, time.perf_counter() + 0.01)
                    )
                remaining = deadline - time.perf_counter()
                try:
                    job = (
                        self._queue.get(timeout=max(0.0, remaining))
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    if coming and time.perf_counter() < started + self.coming_wait:
                        continue
                    break
                if job is None:
                    self._stop.set()
                    break
                (batch if job.model is first.model else later).append(job)
            for job in later:
                self._queue.put(job)
            try:
                self._run_batch(batch, time.perf_counter() - started)
            except Exception as exc:  # a failing model must not kill the worker
                log.exception("generation failed")
                for job in batch:
                    with contextlib.suppress(InvalidStateError):
                        if not job.future.done():
                            job.future.set_exception(exc)

    def _finish_cancelled(self, job: Job) -> None:
        self.stats.cancelled += 1
        # The waiter may cancel the future itself at any moment (asyncio.wrap_future does).
        with contextlib.suppress(InvalidStateError):
            if not job.future.done():
                job.future.set_exception(Cancelled("cancelled"))
        self._release(job)

    def _release(self, job: Job) -> None:
        with self._lock:
            if job.group is not None and self._groups.get(job.group) is job:
                del self._groups[job.group]

    def _run_batch(self, batch: list[Job], gathered_s: float = 0.0) -> None:
        model = batch[0].model
        model.touch()
        self._sessions.add(model.session)
        states, caches, logits, live, timings = [], [], [], [], []
        slots: set[str | None] = {None}
        for job in batch:
            if job.cancel_event.is_set():
                self._finish_cancelled(job)
                continue
            job.started = time.perf_counter()
            self.stats.queue_wait_ms.append((job.started - job.submitted) * 1000)
            del self.stats.queue_wait_ms[:-1000]
            req = job.request
            # Two live jobs of one prefix-cache slot in a batch (callers that do not group
            # them): with shared buffers the second one's prefill would write into the first
            # one's KV, so only the first uses the slot.
            slot = req.cache_key if req.cache_key not in slots else None
            slots.add(req.cache_key)
            reuse = model.prefix_cache.lookup(slot, req.prompt)
            t0 = time.perf_counter()
            first, kv = prefill(
                model.session,
                req.prompt,
                reuse,
                job.cancel_event.is_set,
                reserve=req.max_new_tokens + 1,
            )
            if job.cancel_event.is_set():
                self._finish_cancelled(job)
                continue
            model.prefix_cache.store(slot, req.prompt, kv)
            states.append(SequenceState(req, model.tokenizer))
            caches.append(kv)
            logits.append(first)
            live.append(job)
            timings.append((reuse.length if reuse is not None else 0, time.perf_counter() - t0))
        if not live:
            return
        self.stats.batches += 1
        self.stats.batched_jobs += len(live)
        self.stats.max_batch = max(self.stats.max_batch, len(live))
        t0 = time.perf_counter()
        decode(model.session, states, caches, logits)
        decode_s = time.perf_counter() - t0
        log.debug(
            "batch of %d (gathered in %.0f ms): prefill %.0f ms (%d new tokens), "
            "decode %.0f ms (%d tokens)",
            len(live),
            gathered_s * 1000,
            sum(t[1] for t in timings) * 1000,
            sum(len(j.request.prompt) - t[0] for j, t in zip(live, timings, strict=True)),
            decode_s * 1000,
            sum(len(s.tokens) for s in states),
        )
        for job, state, (reused, prefill_s) in zip(live, states, timings, strict=True):
            if state.finish_reason == "cancelled" or job.cancel_event.is_set():
                self._finish_cancelled(job)
                continue
            result = state.result(len(job.request.prompt), reused, prefill_s, decode_s, len(live))
            model.latencies_ms.append((time.perf_counter() - job.submitted) * 1000)
            del model.latencies_ms[:-100]
            try:
                job.future.set_result(result)
            except InvalidStateError:
                # Cancelled by its waiter after the last check: the others still get theirs.
                self.stats.cancelled += 1
            self._release(job)
