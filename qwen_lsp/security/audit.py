"""The audit log: one JSON line per generation, chained by SHA-256.

Each line is a JSON object written with sorted keys and no spaces. Its ``prev`` field holds the
SHA-256 (hex) of the previous line's bytes (without the newline); the first line of a new log
holds 64 zeros. ``seq`` counts lines from 0 across the whole log. Editing a line breaks the
next line's ``prev``; removing or reordering lines breaks ``prev`` and ``seq``.

Rotation by size: when the file passes ``max_bytes`` it is renamed ``FILE.1`` (older ones shift
to ``FILE.2`` ...), and the new file's first line chains to the last line of ``FILE.1``, so the
chain runs across files; :func:`verify` checks a file together with its rotated predecessors.
With ``keep`` set, files beyond it are deleted; the chain then starts at the oldest file kept
(verify says so, since a chain that starts mid-way cannot prove what came before).

A hash chain shows edits, removals and reordering, but not lines cut from the end together
with the last ones: keep the head hash (printed by ``qwen-lsp audit verify``) elsewhere when
that matters. Several processes may append to one log: each append holds an exclusive lock and
reads the last line from the file, never from memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GENESIS = "0" * 64
FORMAT = 1


def sha256_hex(data: bytes | str) -> str:
    """SHA-256 of bytes or UTF-8 text, as hex."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _last_line(fh: Any) -> bytes | None:
    """The last complete line of an open binary file (None when empty)."""
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    if end == 0:
        return None
    block = 8192
    data = b""
    pos = end
    while pos > 0:
        step = min(block, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step) + data
        body = data.rstrip(b"\n")
        nl = body.rfind(b"\n")
        if nl >= 0:
            return body[nl + 1 :]
        block *= 2
    return data.rstrip(b"\n") or None


class AuditLog:
    """Appends chained records to a file; thread- and process-safe."""

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 0, keep: int = 0) -> None:
        """``max_bytes``: rotate past this size (0: never); ``keep``: rotated files kept (0: all)."""
        self.path = Path(path).expanduser()
        self.max_bytes = max_bytes
        self.keep = keep
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write ``record`` (plus ``v``, ``seq``, ``time``, ``prev``) as the next line."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            with open(lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    return self._append_locked(record)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _previous(self) -> tuple[str, int]:
        """(hash of the last line, its seq) of the log, looking into FILE.1 after a rotation."""
        for candidate in (self.path, self._rotated(1)):
            try:
                with open(candidate, "rb") as fh:
                    last = _last_line(fh)
            except FileNotFoundError:
                continue
            if last is None:
                continue
            try:
                seq = int(json.loads(last).get("seq", -1))
            except (ValueError, AttributeError):
                seq = -1  # a damaged line: still chain to its bytes; verify will report it
            return sha256_hex(last), seq
        return GENESIS, -1

    def _append_locked(self, record: dict[str, Any]) -> dict[str, Any]:
        prev, seq = self._previous()
        full = {
            **record,
            "v": FORMAT,
            "seq": seq + 1,
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "prev": prev,
        }
        line = _encode(full)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line + b"\n")
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if self.max_bytes and size >= self.max_bytes:
            self._rotate()
        full["hash"] = sha256_hex(line)
        return full

    def _rotated(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def _rotate(self) -> None:
        existing = []
        n = 1
        while self._rotated(n).exists():
            existing.append(n)
            n += 1
        for i in reversed(existing):
            if self.keep and i + 1 > self.keep:
                self._rotated(i).unlink(missing_ok=True)
            else:
                os.replace(self._rotated(i), self._rotated(i + 1))
        os.replace(self.path, self._rotated(1))


# -- verification -----------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What :func:`verify` found."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: str = GENESIS
    first_seq: int | None = None
    last_seq: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return not self.problems


def chain_files(path: Path) -> list[Path]:
    """``path`` and its rotated predecessors, oldest first."""
    files = [path]
    n = 1
    while path.with_name(f"{path.name}.{n}").exists():
        files.append(path.with_name(f"{path.name}.{n}"))
        n += 1
    return [f for f in reversed(files) if f.exists()]


def verify(path: str | os.PathLike[str]) -> VerifyReport:
    """Check the chain of a log and its rotated files; every broken link is one problem line."""
    target = Path(path).expanduser()
    report = VerifyReport()
    files = chain_files(target)
    if not files:
        report.problems.append(f"{target}: no such file")
        return report
    prev_hash: str | None = None
    prev_seq: int | None = None
    for file in files:
        report.files.append(str(file))
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.problems.append(f"{file}: cannot read ({exc.strerror})")
            return report
        if data and not data.endswith(b"\n"):
            report.problems.append(f"{file}: the last line is incomplete (cut or being written)")
        for number, line in enumerate(data.split(b"\n")[:-1] if data else [], start=1):
            where = f"{file.name}:{number}"
            report.lines += 1
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                report.problems.append(f"{where}: not a JSON object ({exc})")
                prev_hash, prev_seq = sha256_hex(line), None
                continue
            seq = record.get("seq")
            claimed = record.get("prev")
            if prev_hash is None:
                # The very first line kept: a genesis line, or the start of the oldest kept file.
                if claimed != GENESIS or seq != 0:
                    report.notes.append(
                        f"{where}: the chain starts at seq {seq} (older lines were rotated away "
                        "or removed; nothing before it can be checked)"
                    )
                report.first_seq = seq if isinstance(seq, int) else None
            else:
                if claimed != prev_hash:
                    report.problems.append(
                        f"{where}: prev does not match the line before (a line was edited, "
                        "removed, inserted or moved)"
                    )
                if isinstance(prev_seq, int) and seq != prev_seq + 1:
                    report.problems.append(
                        f"{where}: seq {seq} follows seq {prev_seq} (lines removed or reordered)"
                    )
            if _encode(record) != line:
                report.problems.append(f"{where}: not in canonical form (edited by hand?)")
            prev_hash, prev_seq = sha256_hex(line), seq if isinstance(seq, int) else None
            report.last_seq = prev_seq
    report.head = prev_hash or GENESIS
    return report


def open_log(path: str, max_bytes: int = 0, keep: int = 0) -> AuditLog | None:
    """An :class:`AuditLog` for a setting value (None when empty)."""
    if not path:
        return None
    with contextlib.suppress(Exception):
        return AuditLog(path, max_bytes, keep)
    return None
