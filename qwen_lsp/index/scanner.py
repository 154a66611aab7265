"""Walk workspace folders and list the files worth indexing.

Honours ``.gitignore`` files at every level (with ``pathspec``), skips vendored and generated
folders, oversized files and files no language claims. Binary content is detected later, when a
file is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ..syntax.languages import LanguageRegistry

# Folders that hold other people's code, build outputs or tool state, never the user's sources.
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".jj",
        "node_modules",
        "bower_components",
        "__pycache__",
        ".venv",
        "venv",
        ".env",
        "env",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        "site-packages",
        "dist-packages",
        ".eggs",
        "build",
        "dist",
        "target",
        ".gradle",
        ".idea",
        ".vscode",
        "vendor",
        "third_party",
        "_vendor",
        ".cache",
        ".next",
        ".nuxt",
        "coverage",
        ".terraform",
        "Pods",
    }
)


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """A file found by the scanner, with what is needed to decide whether to re-read it."""

    path: str
    language: str
    size: int
    mtime_ns: int


@dataclass
class ScanStats:
    """Counts of what the scanner skipped, for the progress report and the benchmark."""

    files: int = 0
    ignored: int = 0
    too_large: int = 0
    unknown_language: int = 0
    outside_root: int = 0  # symbolic links leading out of the workspace folder, not followed


class GitIgnoreStack:
    """The ``.gitignore`` rules that apply inside one folder (its own and its parents')."""

    def __init__(self, specs: list[tuple[Path, pathspec.PathSpec]] | None = None) -> None:
        self._specs = specs or []

    @classmethod
    def for_root(cls, root: Path, patterns: list[str] | None) -> GitIgnoreStack:
        """A stack holding user exclusion patterns (gitignore syntax) relative to ``root``."""
        if not patterns:
            return cls()
        return cls([(root, pathspec.GitIgnoreSpec.from_lines(patterns))])

    def push_dir(self, folder: Path) -> GitIgnoreStack:
        """The stack for ``folder``: this one plus ``folder/.gitignore`` if present."""
        ignore = folder / ".gitignore"
        if not ignore.is_file():
            return self
        try:
            lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return self
        return GitIgnoreStack([*self._specs, (folder, pathspec.GitIgnoreSpec.from_lines(lines))])

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether ``path`` is ignored by any applicable rule set."""
        for base, spec in self._specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if is_dir:
                rel += "/"
            if spec.match_file(rel):
                return True
        return False


def scan(
    roots: list[Path],
    registry: LanguageRegistry,
    max_file_bytes: int = 1_000_000,
    exclude: list[str] | None = None,
    stats: ScanStats | None = None,
) -> Iterator[ScannedFile]:
    """Yield indexable files under ``roots`` (depth-first, deterministic order)."""
    stats = stats if stats is not None else ScanStats()
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        root = root.resolve()
        if not root.is_dir():
            continue
        base = GitIgnoreStack.for_root(root, exclude)
        yield from _walk(root, base, registry, max_file_bytes, stats, seen_dirs, root)


def leads_outside(path: Path, root: Path) -> bool:
    """Whether ``path`` (a symbolic link, or under one) resolves outside ``root`` (resolved):
    such files are never read, so nothing outside the workspace reaches a prompt."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop
        return True
    return target != root and root not in target.parents


def _walk(
    folder: Path,
    ignores: GitIgnoreStack,
    registry: LanguageRegistry,
    max_file_bytes: int,
    stats: ScanStats,
    seen_dirs: set[tuple[int, int]],
    root: Path,
) -> Iterator[ScannedFile]:
    try:
        st = folder.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in seen_dirs:  # symlink loops
        return
    seen_dirs.add(key)
    ignores = ignores.push_dir(folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    subdirs: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            link = entry.is_symlink()
        except OSError:
            continue
        if link and leads_outside(path, root):
            stats.outside_root += 1
            continue
        if is_dir:
            if entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info"):
                stats.ignored += 1
                continue
            if ignores.ignored(path, True):
                stats.ignored += 1
                continue
            subdirs.append(path)
            continue
        if not entry.is_file():
            continue
        language = registry.for_path(entry.name)
        if language is None:
            stats.unknown_language += 1
            continue
        if ignores.ignored(path, False):
            stats.ignored += 1
            continue
        try:
            fst = entry.stat()
        except OSError:
            continue
        if fst.st_size > max_file_bytes:
            stats.too_large += 1
            continue
        stats.files += 1
        yield ScannedFile(str(path), language.id, fst.st_size, fst.st_mtime_ns)
    for sub in subdirs:
        yield from _walk(sub, ignores, registry, max_file_bytes, stats, seen_dirs, root)
