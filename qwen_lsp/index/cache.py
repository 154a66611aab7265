"""On-disk cache of file summaries (sqlite3), keyed by content hash.

One database per workspace root in the user cache folder. ``files`` maps a path and its
``(size, mtime)`` to a content hash, so a warm restart reads no unchanged file; ``summaries``
maps a content hash to its summary, so identical files (and a file moved back and forth) parse
once. A damaged database is deleted and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import platformdirs

from .summary import SUMMARY_FORMAT

log = logging.getLogger(__name__)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT
);
CREATE TABLE IF NOT EXISTS summaries (
  hash TEXT, language TEXT, data BLOB, refs BLOB,
  PRIMARY KEY (hash, language)
);
INSERT OR IGNORE INTO meta VALUES ('format', '{SUMMARY_FORMAT}');
"""

# Encrypts/decrypts blobs at rest when a key is configured (see DESIGN.md section 6).
BlobCodec = tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]


def default_cache_dir() -> Path:
    """The user cache folder (``QWEN_LSP_CACHE_DIR`` overrides it)."""
    override = os.environ.get("QWEN_LSP_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("qwen-lsp"))


def content_hash(data: bytes) -> str:
    """The key of a file's content."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class SummaryCache:
    """A sqlite cache of summaries for one workspace root; safe to share between threads."""

    def __init__(self, root: Path, cache_dir: Path | None = None, codec: BlobCodec | None = None):
        folder = cache_dir or default_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        self.path = folder / f"index-{root.name or 'root'}-{digest}.sqlite3"
        self._codec = codec
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        for attempt in range(2):
            try:
                db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(SCHEMA)
                row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                if row is None or row[0] != str(SUMMARY_FORMAT):
                    db.close()
                    raise sqlite3.DatabaseError("summary format changed")
                return db
            except sqlite3.DatabaseError as exc:
                if attempt:
                    raise
                log.warning("index cache %s unusable (%s); rebuilding it", self.path, exc)
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _enc(self, blob: bytes) -> bytes:
        return self._codec[0](blob) if self._codec else blob

    def _dec(self, blob: bytes) -> bytes:
        return self._codec[1](blob) if self._codec else blob

    def known_files(self) -> dict[str, tuple[int, int, str]]:
        """``path -> (size, mtime_ns, hash)`` for every file seen before."""
        with self._lock:
            rows = self._db.execute("SELECT path, size, mtime_ns, hash FROM files").fetchall()
        return {p: (s, m, h) for p, s, m, h in rows}

    def get(self, content_hash: str, language: str) -> bytes | None:
        """The stored summary for a content hash, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM summaries WHERE hash=? AND language=?", (content_hash, language)
            ).fetchone()
        if row is None:
            return None
        try:
            return self._dec(row[0])
        except Exception:
            log.warning("index cache entry unreadable (wrong key?); re-parsing")
            return None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """Summaries for many ``(hash, language)`` keys in one pass."""
        wanted = set(keys)
        out: dict[tuple[str, str], bytes] = {}
        if not wanted:
            return out
        with self._lock:
            rows = self._db.execute("SELECT hash, language, data FROM summaries").fetchall()
        for h, lang, data in rows:
            if (h, lang) in wanted:
                try:
                    out[(h, lang)] = self._dec(data)
                except Exception:
                    continue
        return out

    def references(self, content_hash: str, language: str) -> bytes | None:
        """The stored references blob for a content hash, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT refs FROM summaries WHERE hash=? AND language=?", (content_hash, language)
            ).fetchone()
        return self._dec(row[0]) if row and row[0] is not None else None

    def put_many(
        self,
        files: Iterable[tuple[str, int, int, str]],
        summaries: Iterable[tuple[str, str, bytes, bytes]],
    ) -> None:
        """Record ``(path, size, mtime_ns, hash)`` rows and ``(hash, lang, data, refs)`` rows."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?)", files)
                self._db.executemany(
                    "INSERT OR REPLACE INTO summaries VALUES (?,?,?,?)",
                    ((h, lang, self._enc(d), self._enc(r)) for h, lang, d, r in summaries),
                )
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise

    def forget(self, paths: Iterable[str]) -> None:
        """Drop file rows (deleted files); summaries stay for identical content elsewhere."""
        with self._lock:
            self._db.executemany("DELETE FROM files WHERE path=?", ((p,) for p in paths))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
