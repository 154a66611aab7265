"""The workspace indexer: scan, reuse the on-disk cache, parse the rest in worker processes,
and keep the :class:`ProjectIndex` current as files change.

It knows nothing of LSP: progress goes to a plain callback, and the server turns it into
``$/progress`` notifications.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from ..syntax.languages import LanguageRegistry
from ..syntax.text import TextBuffer
from .cache import BlobCodec, SummaryCache, content_hash
from .project import ProjectIndex
from .scanner import ScannedFile, ScanStats, leads_outside, scan
from .summary import FileSummary, summarize
from .worker import ParseResult, parse_batch, parse_file, summarize_bytes

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]

# Below this many files to parse, worker processes cost more than they save.
_POOL_THRESHOLD = 64
_BATCH = 24


@dataclass
class IndexStats:
    """What one indexing pass did."""

    files: int = 0
    from_cache: int = 0
    parsed: int = 0
    skipped: int = 0
    removed: int = 0
    seconds: float = 0.0
    scan: ScanStats = field(default_factory=ScanStats)


class WorkspaceIndexer:
    """Builds and maintains the index of a set of workspace roots."""

    def __init__(
        self,
        roots: list[Path],
        registry: LanguageRegistry,
        *,
        max_file_bytes: int = 1_000_000,
        exclude: list[str] | None = None,
        workers: int = 0,
        cache_dir: Path | None = None,
        codec: BlobCodec | None = None,
        use_cache: bool = True,
    ) -> None:
        self.roots = [Path(r).resolve() for r in roots]
        self.registry = registry
        self.max_file_bytes = max_file_bytes
        self.exclude = exclude or []
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.index = ProjectIndex(self.roots)
        for language in registry:
            separator = str(language.spec.extra.get("module_separator", "/"))
            self.index.set_language_modules(language.id, separator, language.spec.extensions)
        self._caches: dict[Path, SummaryCache] = {}
        # Set by close(): a pass still running stops at its next file instead of failing on
        # a closed cache (the last client may shut down while the first pass runs).
        self._closing = threading.Event()
        if use_cache:
            for root in self.roots:
                try:
                    self._caches[root] = SummaryCache(root, cache_dir, codec)
                except Exception as exc:  # a broken cache must not stop indexing
                    log.warning("index cache disabled for %s: %s", root, exc)
        self._lock = threading.Lock()
        # Parsed summaries not yet written to the cache, per root: written in batches.
        self._pending: dict[
            Path, tuple[list[tuple[str, int, int, str]], list[tuple[str, str, bytes, bytes]]]
        ] = {}
        self.ready = threading.Event()

    # -- the first, whole-workspace pass ------------------------------------------------

    def index_all(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> IndexStats:
        """Index every root: cached summaries for unchanged files, parsing for the rest."""
        try:
            return self._index_all(progress, cancel or self._closing)
        except Exception:
            if not self._closing.is_set():
                raise
            log.debug("indexing stopped: the index was closed meanwhile", exc_info=True)
            return IndexStats()

    def _index_all(self, progress: ProgressCallback | None, cancel: threading.Event) -> IndexStats:
        started = time.perf_counter()
        stats = IndexStats()
        report = progress or (lambda done, total, msg: None)
        report(0, 0, "scanning")
        by_root: dict[Path, list[ScannedFile]] = {}
        for root in self.roots:
            by_root[root] = list(
                scan([root], self.registry, self.max_file_bytes, self.exclude, stats.scan)
            )
        total = sum(len(v) for v in by_root.values())
        stats.files = total
        if stats.scan.outside_root:
            log.warning(
                "%d symbolic link(s) under %s lead outside the workspace folder: not indexed "
                "(nothing outside the workspace is read or sent as context)",
                stats.scan.outside_root,
                ", ".join(str(r) for r in self.roots),
            )
        done = 0
        to_parse: list[tuple[Path, ScannedFile]] = []
        for root, files in by_root.items():
            cache = self._caches.get(root)
            known = cache.known_files() if cache else {}
            hits: dict[str, tuple[ScannedFile, str]] = {}
            for f in files:
                row = known.get(f.path)
                if row and row[0] == f.size and row[1] == f.mtime_ns:
                    hits[f.path] = (f, row[2])
                else:
                    to_parse.append((root, f))
            if cache and hits:
                blobs = cache.get_many((h, f.language) for f, h in hits.values())
                loaded = []
                for f, h in hits.values():
                    blob = blobs.get((h, f.language))
                    if blob is None:
                        to_parse.append((root, f))
                        continue
                    try:
                        loaded.append(FileSummary.from_json(f.path, h, blob))
                    except (ValueError, KeyError, TypeError):
                        to_parse.append((root, f))
                self.index.update_many(loaded)
                stats.from_cache += len(loaded)
                done += len(loaded)
                report(done, total, f"{done}/{total} files (cached)")
            if cache:
                current = {f.path for f in files}
                gone = [p for p in known if p not in current]
                if gone:
                    cache.forget(gone)
                    stats.removed += len(gone)
        for result in self._parse_all([f for _r, f in to_parse], cancel):
            if cancel is not None and cancel.is_set():
                break
            done += 1
            self._store(result, stats)
            if done % 50 == 0 or done == total:
                report(done, total, f"{done}/{total} files")
        self._flush()
        stats.seconds = time.perf_counter() - started
        report(total, total, f"indexed {total} files in {stats.seconds:.1f} s")
        self.ready.set()
        return stats

    def _parse_all(
        self, files: list[ScannedFile], cancel: threading.Event | None
    ) -> Iterator[ParseResult]:
        items = [(f.path, f.language, f.size, f.mtime_ns) for f in files]
        if len(items) < _POOL_THRESHOLD or self.workers <= 1:
            for item in items:
                if cancel is not None and cancel.is_set():
                    return
                yield parse_file(*item)
            return
        # Worker processes, not threads: parsing holds the GIL, and the protocol loop must
        # stay responsive while a large workspace is indexed.
        ctx = multiprocessing.get_context("spawn")
        pool: Executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        batches = [items[i : i + _BATCH] for i in range(0, len(items), _BATCH)]
        finished: set[int] = set()
        try:
            futures = {pool.submit(parse_batch, batch): n for n, batch in enumerate(batches)}
            for fut in as_completed(futures):
                if cancel is not None and cancel.is_set():
                    for other in futures:
                        other.cancel()
                    return
                results = fut.result()
                finished.add(futures[fut])
                yield from results
        except BrokenProcessPool as exc:
            # Worker processes cannot start in some hosts (an embedding program without a
            # main guard, a sandbox): finish the remaining batches in this process.
            log.warning("index workers unavailable (%s); indexing in-process", exc)
            for n, batch in enumerate(batches):
                if n in finished:
                    continue
                for item in batch:
                    if cancel is not None and cancel.is_set():
                        return
                    yield parse_file(*item)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- storing -----------------------------------------------------------------------

    def _store(self, result: ParseResult, stats: IndexStats) -> None:
        if result.summary is None:
            stats.skipped += 1
            if result.skipped and not result.skipped.startswith("binary"):
                log.debug("not indexed %s: %s", result.path, result.skipped)
            return
        stats.parsed += 1
        self.index.update(FileSummary.from_json(result.path, result.content_hash, result.summary))
        root = self._root_of(result.path)
        if root is None or root not in self._caches:
            return
        with self._lock:
            files, summaries = self._pending.setdefault(root, ([], []))
            files.append((result.path, result.size, result.mtime_ns, result.content_hash))
            summaries.append(
                (result.content_hash, result.language, result.summary, result.references or b"[]")
            )
            if len(files) >= 256:
                self._flush_root(root)

    def _flush(self) -> None:
        with self._lock:
            for root in list(self._pending):
                self._flush_root(root)

    def _flush_root(self, root: Path) -> None:
        files, summaries = self._pending.pop(root, ([], []))
        if files:
            try:
                self._caches[root].put_many(files, summaries)
            except Exception as exc:
                log.warning("could not write the index cache: %s", exc)

    def _root_of(self, path: str) -> Path | None:
        p = Path(path)
        for root in self.roots:
            if p == root or root in p.parents:
                return root
        return None

    # -- incremental updates -----------------------------------------------------------------

    def contains(self, path: str) -> bool:
        """Whether ``path`` lies inside one of the workspace roots."""
        return self._root_of(path) is not None

    def update_from_tree(self, path: str, language_id: str, tree, buffer: TextBuffer) -> None:
        """Re-summarise an open document from its current tree (no disk access)."""
        language = self.registry.by_id(language_id)
        if language is None or not self.contains(path):
            return
        summary = summarize(path, language, tree, buffer, content_hash(buffer.data), False)
        self.index.update(summary)

    def refresh_file(self, path: str) -> None:
        """Re-read one file from disk (saved, created or changed outside the editor)."""
        root = self._root_of(path)
        if root is None:
            return
        if leads_outside(Path(path), root.resolve()):
            self.index.remove(path)  # a link out of the workspace: never read
            return
        language = self.registry.for_path(path)
        if language is None:
            return
        try:
            st = os.stat(path)
        except OSError:
            self.remove_file(path)
            return
        if st.st_size > self.max_file_bytes:
            self.index.remove(path)
            return
        result = parse_file(path, language.id, st.st_size, st.st_mtime_ns)
        stats = IndexStats()
        self._store(result, stats)
        self._flush()

    def remove_file(self, path: str) -> None:
        """Forget a deleted file."""
        self.index.remove(path)
        root = self._root_of(path)
        if root is not None and root in self._caches:
            self._caches[root].forget([path])

    def summarize_text(self, path: str, language_id: str, data: bytes) -> FileSummary | None:
        """Summarise text that is not on disk (used by the CLI)."""
        return summarize_bytes(path, language_id, data, self.registry)

    def close(self) -> None:
        """Flush and close the caches."""
        self._closing.set()
        self._flush()
        for cache in self._caches.values():
            cache.close()
