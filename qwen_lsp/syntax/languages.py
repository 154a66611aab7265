"""The languages registry: language support is data in ``grammars/<language>/``.

Each folder holds a ``language.toml`` (LSP language id, file extensions and names, the grammar
wheel's module and entry point, comment syntax) and query files (``tags.scm``, ``imports.scm``,
...). Code walks the captures of those queries, never the node types of one language, so adding
a language is adding a folder and a grammar wheel dependency.

Grammars load lazily: the registry reads the small TOML files at start, and imports a grammar
wheel the first time a file of its language is seen.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import tree_sitter as ts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

log = logging.getLogger(__name__)


class LanguageError(Exception):
    """A language folder or grammar wheel is missing or broken."""


_INHERITS = re.compile(r"^;+\s*inherits:\s*(.+)$")


def query_source(folder: Path, name: str) -> str | None:
    """The text of ``<folder>/<name>.scm``, or None without one. A first line
    ``; inherits: a, b`` (nvim-treesitter's modeline) puts the same query of the sibling
    language folders ``a`` and ``b`` first: TypeScript and TSX share JavaScript's patterns
    instead of holding copies of them."""
    path = folder / f"{name}.scm"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    match = _INHERITS.match(first)
    if match is None:
        return text
    parts = []
    for parent in (x.strip() for x in match.group(1).split(",")):
        inherited = query_source(folder.parent / parent, name)
        if inherited is None:
            raise LanguageError(f"{path}: inherits {parent}, which has no {name}.scm")
        parts.append(inherited)
    return "\n".join([*parts, text])


def grammars_root() -> Path:
    """Folder holding ``<language>/language.toml`` folders.

    An installed wheel carries it as ``qwen_lsp/grammars``; a source checkout has it at the
    repository root. ``QWEN_LSP_GRAMMARS`` overrides both (for tests and experiments).
    """
    override = os.environ.get("QWEN_LSP_GRAMMARS")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent.parent
    packaged = here / "grammars"
    if packaged.is_dir():
        return packaged
    return here.parent / "grammars"


@dataclass(frozen=True)
class LanguageSpec:
    """What ``language.toml`` says about one language."""

    id: str
    name: str
    folder: Path
    grammar_module: str
    grammar_function: str = "language"
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    shebangs: tuple[str, ...] = ()
    line_comment: str | None = None
    block_comment: tuple[str, str] | None = None
    kind: str = "programming"
    indent: str = "    "
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_toml(cls, folder: Path) -> LanguageSpec:
        """Read ``folder/language.toml``; raise :class:`LanguageError` when it is invalid."""
        path = folder / "language.toml"
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise LanguageError(f"{path}: {exc}") from exc
        try:
            grammar = raw["grammar"]
            block = raw.get("block_comment")
            known = {
                "id",
                "name",
                "grammar",
                "extensions",
                "filenames",
                "aliases",
                "shebangs",
                "line_comment",
                "block_comment",
                "kind",
                "indent",
            }
            return cls(
                id=str(raw["id"]),
                name=str(raw.get("name", raw["id"])),
                folder=folder,
                grammar_module=str(grammar["module"]),
                grammar_function=str(grammar.get("function", "language")),
                extensions=tuple(str(e).lower() for e in raw.get("extensions", ())),
                filenames=tuple(str(n) for n in raw.get("filenames", ())),
                aliases=tuple(str(a) for a in raw.get("aliases", ())),
                shebangs=tuple(str(s) for s in raw.get("shebangs", ())),
                line_comment=raw.get("line_comment"),
                block_comment=(str(block[0]), str(block[1])) if block else None,
                kind=str(raw.get("kind", "programming")),
                indent=str(raw.get("indent", "    ")),
                extra={k: v for k, v in raw.items() if k not in known},
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise LanguageError(f"{path}: missing or invalid field {exc}") from exc

    @property
    def lsp_ids(self) -> tuple[str, ...]:
        """All LSP language ids that map to this language."""
        return (self.id, *self.aliases)


class Language:
    """A loaded language: its spec, tree-sitter ``Language`` and compiled queries."""

    def __init__(self, spec: LanguageSpec) -> None:
        self.spec = spec
        self._queries: dict[str, ts.Query | None] = {}
        self._lock = threading.Lock()

    @cached_property
    def ts_language(self) -> ts.Language:
        """The tree-sitter language, imported from its grammar wheel on first use."""
        try:
            module = importlib.import_module(self.spec.grammar_module)
            capsule = getattr(module, self.spec.grammar_function)()
        except (ImportError, AttributeError) as exc:
            raise LanguageError(
                f"grammar for {self.spec.id!r} is not installed "
                f"({self.spec.grammar_module}.{self.spec.grammar_function}): {exc}"
            ) from exc
        return ts.Language(capsule)

    @property
    def id(self) -> str:
        """The primary LSP language id."""
        return self.spec.id

    def parser(self) -> ts.Parser:
        """A new parser for this language (parsers are not shared between threads)."""
        return ts.Parser(self.ts_language)

    def query(self, name: str) -> ts.Query | None:
        """The compiled ``<name>.scm`` query of this language, or None if it has none."""
        with self._lock:
            if name in self._queries:
                return self._queries[name]
            source = query_source(self.spec.folder, name)
            query: ts.Query | None = None
            if source is not None:
                try:
                    query = ts.Query(self.ts_language, source)
                except Exception as exc:  # tree-sitter raises QueryError and others
                    path = self.spec.folder / f"{name}.scm"
                    raise LanguageError(f"{path}: {exc}") from exc
            self._queries[name] = query
            return query

    def definitions_query(self) -> ts.Query | None:
        """``tags.scm`` with its reference patterns disabled: for symbol outlines, where the
        many reference matches of a large file would cost most of the time."""
        with self._lock:
            if "tags#definitions" in self._queries:
                return self._queries["tags#definitions"]
            source = query_source(self.spec.folder, "tags")
            query: ts.Query | None = None
            if source is not None:
                query = ts.Query(self.ts_language, source)
                encoded = source.encode("utf-8")
                for i in range(query.pattern_count):
                    text = encoded[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]
                    if b"@definition." not in text:
                        query.disable_pattern(i)
            self._queries["tags#definitions"] = query
            return query

    def has_query(self, name: str) -> bool:
        """Whether the language folder has ``<name>.scm``."""
        return (self.spec.folder / f"{name}.scm").is_file()


class LanguageRegistry:
    """All languages found under a grammars root, looked up by id, extension or file name."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or grammars_root()
        self._by_id: dict[str, Language] = {}
        self._by_ext: dict[str, Language] = {}
        self._by_name: dict[str, Language] = {}
        self._by_shebang: dict[str, Language] = {}
        self.errors: list[str] = []
        for folder in (
            sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else ()
        ):
            if not (folder / "language.toml").is_file():
                continue
            try:
                spec = LanguageSpec.from_toml(folder)
            except LanguageError as exc:
                self.errors.append(str(exc))
                log.error("skipping language folder: %s", exc)
                continue
            self._add(Language(spec))

    def _add(self, language: Language) -> None:
        spec = language.spec
        for lsp_id in spec.lsp_ids:
            self._by_id.setdefault(lsp_id, language)
        for ext in spec.extensions:
            self._by_ext.setdefault(ext, language)
        for name in spec.filenames:
            self._by_name.setdefault(name, language)
        for interpreter in spec.shebangs:
            self._by_shebang.setdefault(interpreter, language)

    def __iter__(self) -> Iterator[Language]:
        seen: set[str] = set()
        for language in self._by_id.values():
            if language.id not in seen:
                seen.add(language.id)
                yield language

    def __len__(self) -> int:
        return len({lang.id for lang in self._by_id.values()})

    def by_id(self, language_id: str | None) -> Language | None:
        """The language for an LSP language id (or alias), if known."""
        if not language_id:
            return None
        return self._by_id.get(language_id) or self._by_id.get(language_id.lower())

    def for_path(
        self, path: str | os.PathLike[str], first_line: str | None = None
    ) -> Language | None:
        """The language of a file, by exact name, then extension, then shebang line."""
        p = Path(path)
        if (lang := self._by_name.get(p.name)) is not None:
            return lang
        suffixes = [s.lower() for s in p.suffixes]
        # Longest compound extension first (".d.ts" before ".ts").
        for i in range(len(suffixes)):
            if (lang := self._by_ext.get("".join(suffixes[i:]))) is not None:
                return lang
        if first_line and first_line.startswith("#!"):
            words = first_line[2:].replace("/", " ").split()
            for word in reversed(words):
                base = word.rstrip("0123456789.")
                if (lang := self._by_shebang.get(word) or self._by_shebang.get(base)) is not None:
                    return lang
        return None

    def resolve(self, language_id: str | None, path: str | None) -> Language | None:
        """The language for a document: the client's language id first, then its path."""
        return self.by_id(language_id) or (self.for_path(path) if path else None)

    @property
    def extensions(self) -> frozenset[str]:
        """Every file extension some language claims."""
        return frozenset(self._by_ext)


_default: LanguageRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> LanguageRegistry:
    """The process-wide registry over :func:`grammars_root` (built once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LanguageRegistry()
        return _default
