"""The shared core: what every connection of one server process shares.

Workspace indexes (one per root folder, whoever opened it), the languages registry, and the
worker threads; later the model registry and the scheduler, so that requests from every
connection batch together. It knows nothing of LSP.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from .config import IndexSettings, ModelSettings
from .index.cache import BlobCodec
from .index.indexer import IndexStats, ProgressCallback, WorkspaceIndexer
from .syntax.languages import LanguageRegistry, default_registry

if TYPE_CHECKING:
    from .completion.service import CompletionService

log = logging.getLogger(__name__)


class IndexHandle:
    """One workspace root's indexer and the state of its first pass."""

    def __init__(self, indexer: WorkspaceIndexer) -> None:
        self.indexer = indexer
        self.future: Future[IndexStats] | None = None
        self.listeners: list[ProgressCallback] = []
        self.last_progress: tuple[int, int, str] = (0, 0, "waiting")

    def _progress(self, done: int, total: int, message: str) -> None:
        self.last_progress = (done, total, message)
        for listener in list(self.listeners):
            try:
                listener(done, total, message)
            except Exception:  # a closed connection must not stop indexing
                log.debug("progress listener failed", exc_info=True)


class Core:
    """State shared by all connections of one server process."""

    def __init__(self, registry: LanguageRegistry | None = None, cache_dir: Path | None = None):
        self.registry = registry or default_registry()
        self.cache_dir = cache_dir
        self._indexes: dict[Path, IndexHandle] = {}
        self._lock = threading.Lock()
        # Background work that must not run on the protocol loop (indexing, analysis).
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qwen-core")
        self.connections = 0
        self._completions: CompletionService | None = None
        self.idle_unload_seconds = 600.0
        self.accepted = 0  # suggestions the clients reported as accepted
        # Where the key of encrypted modules and of the index cache comes from: the user
        # settings file and the environment at first, then the settings of the first session
        # that asks for completions.
        self.key_settings: ModelSettings = _user_model_settings()

    def completions(self, models: ModelSettings):
        """The completion service (models, scheduler, caches), created on first use with the
        first session's model settings; every session shares it so requests batch together."""
        from .completion.service import CompletionService
        from .engine.registry import ModelRegistry
        from .engine.scheduler import Scheduler

        with self._lock:
            self.key_settings = models
            if self._completions is None:
                scheduler = Scheduler()
                registry = ModelRegistry(models.executionProvider, models.threads)
                scheduler.on_idle.append(lambda: registry.unload_idle(self.idle_unload_seconds))
                self._completions = CompletionService(registry, scheduler)
            self.idle_unload_seconds = float(models.idleUnloadSeconds)
            if self.idle_unload_seconds > 0:
                # Look for idle modules often enough to honour the setting within ~25 %.
                self._completions.scheduler.idle_check = max(
                    0.2, min(30.0, self.idle_unload_seconds / 4)
                )
            return self._completions

    def index_for(
        self,
        root: Path,
        settings: IndexSettings,
        on_progress: ProgressCallback | None = None,
        codec: BlobCodec | None = None,
    ) -> IndexHandle:
        """The index of ``root``, started in the background the first time it is asked for.
        Its on-disk cache is encrypted when a key is configured (``codec``, else
        :meth:`index_codec`)."""
        root = root.resolve()
        with self._lock:
            handle = self._indexes.get(root)
            if handle is None:
                codec = codec or self.index_codec([root])
                indexer = WorkspaceIndexer(
                    [root],
                    self.registry,
                    max_file_bytes=settings.maxFileBytes,
                    exclude=settings.exclude,
                    workers=settings.workers,
                    cache_dir=Path(settings.cacheDir) if settings.cacheDir else self.cache_dir,
                    codec=codec,
                )
                handle = IndexHandle(indexer)
                self._indexes[root] = handle
            if on_progress is not None:
                handle.listeners.append(on_progress)
            if handle.future is None and settings.enable:
                handle.future = self.executor.submit(self._run_index, handle)
        return handle

    def index_codec(
        self, roots: list[Path], models: ModelSettings | None = None
    ) -> BlobCodec | None:
        """Encryption of index cache blobs when a key is configured (None: stored plain):
        the key of ``models`` (a session's settings), else of :attr:`key_settings`."""
        models = models or self.key_settings
        if not models.keyFile and not os.environ.get(models.keyEnv or ""):
            return None
        from .security.crypto import CryptoError, blob_codec, load_key

        try:
            return blob_codec(load_key(models.keyEnv, models.keyFile, roots))
        except CryptoError as exc:
            log.warning("index cache not encrypted and not written in clear either: %s", exc)
            return _refusing_codec()

    def _run_index(self, handle: IndexHandle) -> IndexStats:
        try:
            stats = handle.indexer.index_all(handle._progress)
            log.info(
                "indexed %s: %d files (%d cached, %d parsed) in %.2f s",
                handle.indexer.roots[0],
                stats.files,
                stats.from_cache,
                stats.parsed,
                stats.seconds,
            )
            return stats
        except Exception:
            log.exception("indexing failed for %s", handle.indexer.roots)
            handle.indexer.ready.set()
            raise
        finally:
            handle.listeners.clear()

    def indexes(self) -> list[IndexHandle]:
        """Every index this process holds."""
        with self._lock:
            return list(self._indexes.values())

    def index_containing(self, path: str) -> WorkspaceIndexer | None:
        """The indexer whose root holds ``path``."""
        for handle in self.indexes():
            if handle.indexer.contains(path):
                return handle.indexer
        return None

    def submit(self, fn: Callable[..., object], *args: object) -> Future[object]:
        """Run ``fn`` on the core's worker threads."""
        return self.executor.submit(fn, *args)

    def close(self) -> None:
        """Stop background work and close caches."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self._completions is not None:
            self._completions.close()
        for handle in self.indexes():
            handle.indexer.close()


def _user_model_settings() -> ModelSettings:
    """Model settings from the user settings file (defaults when there is none)."""
    from .config import Settings, load_user_settings, merge

    user, _errors = load_user_settings()
    return merge(Settings(), user)[0].models


def _refusing_codec() -> BlobCodec:
    """A codec for a configured but unusable key: nothing is written, nothing is read."""

    def refuse(_blob: bytes) -> bytes:
        raise ValueError("the configured key is unusable: the index cache is off")

    return refuse, refuse
