"""The in-memory project index: summaries of every file, symbols by name, imports resolved to
files, and fuzzy symbol search. Thread-safe; every method holds the lock only briefly.
"""

from __future__ import annotations

import os
import posixpath
import re
import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .fuzzy import fuzzy_score
from .summary import Definition, FileSummary, Import

# File stems that stand for their folder when a module path names the folder.
_PACKAGE_STEMS = ("__init__", "index", "mod", "lib", "main")


@dataclass(frozen=True, slots=True)
class SymbolHit:
    """A definition found in the index, with the file it lives in."""

    path: str
    definition: Definition
    score: float = 0.0


class ProjectIndex:
    """Summaries of every indexed file of a set of workspace roots."""

    def __init__(self, roots: Iterable[Path] = ()) -> None:
        self.roots = [Path(r) for r in roots]
        self._lock = threading.RLock()
        self._files: dict[str, FileSummary] = {}
        self._by_name: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._by_basename: dict[str, set[str]] = defaultdict(set)
        self._module_separators: dict[str, str] = {}
        self._extensions: dict[str, tuple[str, ...]] = {}
        # Lower-cased names joined by newlines, rebuilt lazily after names change.
        self._names: list[str] = []
        self._names_blob: str | None = None
        self._name_starts: list[int] = []

    # -- configuration ---------------------------------------------------------------

    def set_language_modules(
        self, language: str, separator: str, extensions: Iterable[str]
    ) -> None:
        """How module paths of ``language`` map to files (separator, file extensions)."""
        self._module_separators[language] = separator
        self._extensions[language] = tuple(extensions)

    # -- updates -----------------------------------------------------------------------

    def update(self, summary: FileSummary) -> None:
        """Add or replace the summary of one file."""
        with self._lock:
            self._remove_locked(summary.path)
            self._files[summary.path] = summary
            for i, d in enumerate(summary.definitions):
                entries = self._by_name[d.name]
                if not entries:
                    self._names_blob = None
                entries.append((summary.path, i))
            self._by_basename[os.path.basename(summary.path)].add(summary.path)

    def update_many(self, summaries: Iterable[FileSummary]) -> None:
        """Add or replace several summaries under one lock."""
        with self._lock:
            for s in summaries:
                self.update(s)

    def remove(self, path: str) -> None:
        """Forget one file."""
        with self._lock:
            self._remove_locked(path)

    def _remove_locked(self, path: str) -> None:
        old = self._files.pop(path, None)
        if old is None:
            return
        for d in old.definitions:
            entries = self._by_name.get(d.name)
            if entries:
                entries[:] = [e for e in entries if e[0] != path]
                if not entries:
                    del self._by_name[d.name]
                    self._names_blob = None
        names = self._by_basename.get(os.path.basename(path))
        if names:
            names.discard(path)

    # -- queries -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def get(self, path: str) -> FileSummary | None:
        """The summary of a file, if indexed."""
        return self._files.get(path)

    def paths(self) -> list[str]:
        """Every indexed path."""
        with self._lock:
            return list(self._files)

    def definition_count(self) -> int:
        """Total definitions (for statistics)."""
        with self._lock:
            return sum(len(s.definitions) for s in self._files.values())

    def definitions_named(self, name: str) -> list[SymbolHit]:
        """Every definition with exactly this name."""
        with self._lock:
            return [
                SymbolHit(p, self._files[p].definitions[i])
                for p, i in self._by_name.get(name, ())
                if p in self._files
            ]

    def _candidate_names(self, query: str) -> list[str]:
        """Names containing the query's characters in order (a superset of fuzzy matches),
        found by one compiled regex over all names rather than a Python loop."""
        with self._lock:
            if self._names_blob is None:
                self._names = list(self._by_name)
                self._names_blob = "\n".join(n.lower() for n in self._names)
                starts = [0]
                for n in self._names[:-1]:
                    starts.append(starts[-1] + len(n) + 1)
                self._name_starts = starts
            names, blob, starts = self._names, self._names_blob, self._name_starts
        if not query:
            return names
        gap = "[^\n]*?"
        pattern = re.compile(
            "^" + gap + gap.join(re.escape(c) for c in query.lower()) + "[^\n]*$", re.M
        )
        return [names[bisect_right(starts, m.start()) - 1] for m in pattern.finditer(blob)]

    def search(self, query: str, limit: int = 100) -> list[SymbolHit]:
        """Fuzzy search over definition names, best first (ties: shorter names, top level)."""
        scored: list[tuple[float, str]] = []
        for name in self._candidate_names(query):
            score = fuzzy_score(query, name)
            if score > 0:
                scored.append((score, name))
        scored.sort(key=lambda t: (-t[0], len(t[1]), t[1]))
        hits: list[SymbolHit] = []
        with self._lock:
            for score, name in scored:
                for path, i in self._by_name.get(name, ()):
                    summary = self._files.get(path)
                    if summary is None:
                        continue
                    d = summary.definitions[i]
                    # Top-level definitions first among equal names.
                    hits.append(SymbolHit(path, d, score - (0.01 if d.parent >= 0 else 0.0)))
                if len(hits) >= limit * 2:
                    break
        hits.sort(key=lambda h: (-h.score, len(h.definition.name), h.path))
        return hits[:limit]

    # -- imports and definitions -------------------------------------------------------------

    def resolve_module(self, from_path: str, module: str, language: str) -> list[str]:
        """Indexed files that a module path written in ``from_path`` may refer to."""
        if not module:
            return []
        candidates = self._module_candidates(from_path, module, language)
        found: list[str] = []
        with self._lock:
            for candidate, relative in candidates:
                if relative:
                    if candidate in self._files and candidate not in found:
                        found.append(candidate)
                    continue
                for path in self._by_basename.get(posixpath.basename(candidate), ()):
                    norm = path.replace(os.sep, "/")
                    if (norm == candidate or norm.endswith("/" + candidate)) and path not in found:
                        found.append(path)
        here = Path(from_path).parent
        found.sort(key=lambda p: -len(os.path.commonpath([p, str(here)])) if p else 0)
        return found

    def _module_candidates(
        self, from_path: str, module: str, language: str
    ) -> list[tuple[str, bool]]:
        separator = self._module_separators.get(language, "/")
        exts = self._extensions.get(language, ())
        base_dir = Path(from_path).parent
        relative = False
        mod = module.strip()
        if mod.startswith(("./", "../")) or mod in (".", ".."):
            rel = mod
            relative = True
            base = os.path.normpath(base_dir / rel)
        elif separator == "." and mod.startswith("."):
            # Python-style relative import: one dot is this package, each more goes up.
            dots = len(mod) - len(mod.lstrip("."))
            rest = mod[dots:].replace(".", "/")
            target = base_dir
            for _ in range(dots - 1):
                target = target.parent
            base = os.path.normpath(target / rest) if rest else str(target)
            relative = True
        else:
            rest = mod
            if separator and separator != "/":
                rest = rest.replace(separator, "/")
            for prefix in ("crate/", "self/", "super/", "@/", "~/"):
                if rest.startswith(prefix):
                    rest = rest[len(prefix) :]
            base = rest.strip("/")
        out: list[tuple[str, bool]] = []
        if posixpath.splitext(base)[1]:
            out.append((base, relative))
        for ext in exts:
            out.append((base + ext, relative))
        for stem in _PACKAGE_STEMS:
            for ext in exts:
                out.append((f"{base}/{stem}{ext}", relative))
        return out

    def imported_files(self, path: str) -> list[str]:
        """Files that ``path`` imports (the edges of the import graph)."""
        summary = self.get(path)
        if summary is None:
            return []
        out: list[str] = []
        for imp in summary.imports:
            for target in self._resolve_import(path, imp, summary.language):
                if target != path and target not in out:
                    out.append(target)
        return out

    def importers_of(self, path: str) -> list[str]:
        """Files that import ``path`` (reverse edges; scans summaries, fine for interactive use)."""
        with self._lock:
            others = list(self._files)
        return [p for p in others if p != path and path in self.imported_files(p)]

    def _import_targets(
        self, path: str, summary: FileSummary, name: str, qualifier: str | None
    ) -> list[tuple[str, str]]:
        """``(file, symbol)`` pairs where ``[qualifier.]name`` may be defined, by imports.

        ``symbol`` is the name to look up in that file ('' when the import binds the module).
        """
        out: list[tuple[str, str]] = []
        for imp in summary.imports:
            if qualifier:
                if imp.local_name != qualifier or imp.name == "*":
                    continue
                symbol = name  # mod.name: look for `name` in the module `qualifier` binds
            elif imp.name == "*":
                symbol = name
            elif imp.local_name == name:
                symbol = imp.name  # from m import name [as alias]; '' for `import m`
            else:
                continue
            for target in self._resolve_import(path, imp, summary.language):
                out.append((target, symbol))
        return out

    def _resolve_import(self, path: str, imp: Import, language: str) -> list[str]:
        targets = self.resolve_module(path, imp.module, language)
        if imp.name and imp.name != "*":
            # `from package import submodule` names a file, not a symbol.
            sep = self._module_separators.get(language, "/")
            joined = f"{imp.module}{sep if not imp.module.endswith(sep) else ''}{imp.name}"
            targets = [*targets, *self.resolve_module(path, joined, language)]
        return targets

    def find_definitions(
        self, path: str, name: str, qualifier: str | None = None
    ) -> list[SymbolHit]:
        """Definitions that ``name`` (optionally ``qualifier.name``) in ``path`` may refer to.

        Through the file's imports first, then definitions in the same file, then anywhere by
        name (nearer folders first).
        """
        summary = self.get(path)
        results: list[SymbolHit] = []

        def add(hit: SymbolHit) -> None:
            if all(
                (h.path, h.definition.name_span) != (hit.path, hit.definition.name_span)
                for h in results
            ):
                results.append(hit)

        if summary is not None:
            for target, symbol in self._import_targets(path, summary, name, qualifier):
                target_summary = self.get(target)
                if target_summary is None:
                    continue
                found = [
                    d
                    for d in target_summary.definitions
                    if symbol and d.name == symbol and d.parent < 0
                ]
                for d in found:
                    add(SymbolHit(target, d))
                if not found and (not symbol or Path(target).stem == symbol):
                    # The name binds a module: point at its file.
                    add(SymbolHit(target, _module_definition(target)))
            if results:
                return results
            for d in summary.definitions:
                if d.name == name:
                    add(SymbolHit(path, d))
            if results:
                return results
        here = str(Path(path).parent)
        hits = self.definitions_named(name)
        hits.sort(
            key=lambda h: (-len(os.path.commonpath([h.path, here])), h.definition.parent >= 0)
        )
        for hit in hits:
            add(hit)
        return results


def _module_definition(path: str) -> Definition:
    from .summary import Span

    zero = Span(0, 0, 0, 0, 0, 0)
    return Definition(Path(path).stem, "module", zero, zero)
