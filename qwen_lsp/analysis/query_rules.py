"""Query rules: language knowledge as data in ``grammars/<language>/rules/*.scm``.

A rule file is a tree-sitter query whose leading comment block is the rule's metadata in TOML
(each line starts with ``;``)::

    ; id = "QL301"
    ; name = "loose-equality"
    ; severity = "warning"
    ; category = "correctness"
    ; summary = "`==` / `!=` compare after converting types"
    ; message = "`{op}` converts types before comparing; use `{op}=`"
    ; report = "finding"                      # the capture whose range is reported
    ; languages = ["javascript", "typescript"] # default: the folder's language
    ; explain = \"\"\"
    ; Markdown ...
    ; \"\"\"
    ; [fix]
    ; title = "Use `{op}=`"
    ; edits = [{ capture = "op", text = "{op}=" }]
    (binary_expression operator: ["==" "!="] @op) @finding

Every match is one finding, unless the rule names an ``analyzer``: then its matches are facts
(declarations, uses, scopes) that a small Python function turns into findings (unused
variables need the whole file's uses). Fix edits are templates over capture texts: replace
a capture (``text``), substitute a regex inside it (``regex`` + ``text``) or insert
``before``/``after`` it; a ``fixer`` names a Python function for fixes a template cannot
write. ``filters`` name Python checks that need more than the match (enclosing test module,
declared types); they run after the cache, on the live tree.

``file_filters`` name file-level conditions (TypeScript or block-scoped JavaScript...): they
decide whether the rule runs on the file at all and keep its findings cacheable.

Custom predicates usable inside the queries (evaluated on the match's own nodes):
``#no-descendant? @c "type"...``, ``#empty? @c`` (no named children),
``#falls-through? @case`` (C/C++ switch case whose last statement is not a jump).

Speed: the file is cut into regions (named subtrees of at most ``REGION_BYTES``, and the
larger nodes above them). Matches of a region are cached by its text, so a keystroke
re-queries only the region it touched; the large nodes above are matched at depth 0 only
(patterns rooted there), which costs microseconds.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tree_sitter as ts

from ..syntax.languages import LanguageRegistry, default_registry
from .base import FileContext, snippet
from .findings import Edit, Finding, Fix, Severity
from .rules import Rule, RuleError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

REGION_BYTES = 4096
_TEMPLATE = re.compile(r"\{(\w+)\}")

# A match with plain offsets (cacheable): combined-query pattern index, then
# ``(capture name, start, end)`` for every captured node.
MatchRecord = tuple[int, tuple[tuple[str, int, int], ...]]


# -- extension points (filled by qwen_lsp.analysis.lang) -----------------------------------

Predicate = Callable[[list[Any]], bool]
ContextFilter = Callable[[FileContext, "RuleMatch"], bool]
FileFilter = Callable[[FileContext], bool]
Fixer = Callable[[FileContext, "RuleMatch"], "Fix | None"]
Analyzer = Callable[[FileContext, "QuerySpec", list["RuleMatch"]], list[Finding]]

PREDICATES: dict[str, Predicate] = {}
FILTERS: dict[str, ContextFilter] = {}
FILE_FILTERS: dict[str, FileFilter] = {}
FIXERS: dict[str, Fixer] = {}
ANALYZERS: dict[str, Analyzer] = {}


def query_predicate(name: str) -> Callable[[Predicate], Predicate]:
    """Register a custom predicate ``#name?``; it gets the arguments (nodes for captures,
    strings for strings) and must look only at those nodes (results are cached by text)."""

    def deco(fn: Predicate) -> Predicate:
        PREDICATES[name] = fn
        return fn

    return deco


def context_filter(name: str) -> Callable[[ContextFilter], ContextFilter]:
    """Register a filter: ``fn(ctx, match) -> keep``; may look anywhere in the file."""

    def deco(fn: ContextFilter) -> ContextFilter:
        FILTERS[name] = fn
        return fn

    return deco


def file_filter(name: str) -> Callable[[FileFilter], FileFilter]:
    """Register a file-level condition: ``fn(ctx) -> run this rule on the file``. Unlike
    match filters, it leaves the rule's findings cacheable per region."""

    def deco(fn: FileFilter) -> FileFilter:
        FILE_FILTERS[name] = fn
        return fn

    return deco


def fixer(name: str) -> Callable[[Fixer], Fixer]:
    """Register a fix writer: ``fn(ctx, match) -> Fix | None``."""

    def deco(fn: Fixer) -> Fixer:
        FIXERS[name] = fn
        return fn

    return deco


def analyzer(name: str) -> Callable[[Analyzer], Analyzer]:
    """Register an analyzer: ``fn(ctx, spec, matches) -> findings`` over all of a file's
    matches of one rule."""

    def deco(fn: Analyzer) -> Analyzer:
        ANALYZERS[name] = fn
        return fn

    return deco


# -- rule files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditSpec:
    """One templated edit of a fix."""

    capture: str
    text: str = ""
    regex: str | None = None
    insert: str | None = None  # "before" | "after"


@dataclass(frozen=True)
class FixSpec:
    """A templated fix (``edits``) or a named Python fixer."""

    title: str
    edits: tuple[EditSpec, ...] = ()
    preferred: bool = True
    fixer: str | None = None


@dataclass(frozen=True)
class QuerySpec:
    """One rule file, as loaded."""

    rule: Rule
    path: Path
    source: str
    languages: tuple[str, ...]
    message: str
    report: str = "finding"
    severity: Severity = Severity.WARNING
    fix: FixSpec | None = None
    alternatives: tuple[FixSpec, ...] = ()
    filters: tuple[str, ...] = ()
    file_filters: tuple[str, ...] = ()
    analyzer: str | None = None
    tags: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class RuleMatch:
    """A match with absolute offsets, as rule code sees it."""

    spec: QuerySpec
    captures: tuple[tuple[str, int, int], ...]

    def get(self, name: str) -> tuple[int, int] | None:
        """``(start, end)`` of the first node captured as ``name``."""
        for n, s, e in self.captures:
            if n == name:
                return s, e
        return None

    def all(self, name: str) -> list[tuple[int, int]]:
        """Every ``(start, end)`` captured as ``name``."""
        return [(s, e) for n, s, e in self.captures if n == name]

    def text(self, ctx: FileContext, name: str) -> str | None:
        """Text of the first node captured as ``name``."""
        span = self.get(name)
        return ctx.text(*span) if span else None


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith(";"):
            break
        body = line[1:]
        lines.append(body[1:] if body.startswith(" ") else body)
    return "\n".join(lines)


def _fix_spec(raw: dict[str, Any], where: Path) -> FixSpec:
    try:
        edits = tuple(
            EditSpec(
                capture=str(e["capture"]),
                text=str(e.get("text", "")),
                regex=e.get("regex"),
                insert=e.get("insert"),
            )
            for e in raw.get("edits", ())
        )
        spec = FixSpec(
            title=str(raw["title"]),
            edits=edits,
            preferred=bool(raw.get("preferred", True)),
            fixer=raw.get("fixer"),
        )
    except (KeyError, TypeError) as exc:
        raise RuleError(f"{where}: invalid fix: {exc}") from exc
    if not spec.edits and not spec.fixer:
        raise RuleError(f"{where}: a fix needs `edits` or a `fixer`")
    for e in spec.edits:
        if e.insert not in (None, "before", "after"):
            raise RuleError(f"{where}: insert must be 'before' or 'after'")
    return spec


def parse_rule_file(path: Path, folder_language: str, known: dict[str, Rule]) -> QuerySpec:
    """Read one rule file; metadata a previous file of the same id gave may be omitted."""
    text = path.read_text(encoding="utf-8")
    try:
        meta = tomllib.loads(_header(text))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: header is not valid TOML: {exc}") from exc
    rule_id = meta.get("id")
    if not rule_id:
        raise RuleError(f"{path}: the header needs an `id`")
    base = known.get(rule_id)
    languages = tuple(meta.get("languages") or (folder_language,))
    try:
        severity = Severity.parse(meta["severity"]) if "severity" in meta else None
    except KeyError as exc:
        raise RuleError(f"{path}: unknown severity {meta['severity']!r}") from exc
    fix = _fix_spec(meta["fix"], path) if "fix" in meta else None
    alternatives = tuple(_fix_spec(a, path) for a in meta.get("alternatives", ()))
    if base is None:
        missing = [
            k for k in ("name", "summary", "severity", "category", "explain") if k not in meta
        ]
        if missing:
            raise RuleError(f"{path}: missing {', '.join(missing)}")
        rule = Rule(
            id=rule_id,
            name=str(meta["name"]),
            languages=languages,
            severity=severity or Severity.WARNING,
            category=str(meta["category"]),
            summary=str(meta["summary"]),
            explain=str(meta["explain"]),
            fixable=fix is not None or bool(meta.get("fixable")),
            origin=str(path),
        )
    else:
        rule = Rule(
            id=rule_id,
            name=str(meta.get("name", base.name)),
            languages=languages,
            severity=severity or base.severity,
            category=str(meta.get("category", base.category)),
            summary=str(meta.get("summary", base.summary)),
            explain=str(meta.get("explain", base.explain)),
            fixable=fix is not None or bool(meta.get("fixable")) or base.fixable,
            origin=str(path),
        )
    analyzer_name = meta.get("analyzer")
    if "message" not in meta and not analyzer_name:
        raise RuleError(f"{path}: missing `message`")
    known_opts = {
        "id", "name", "summary", "severity", "category", "explain", "languages", "fix",
        "alternatives", "message", "report", "filters", "file_filters", "analyzer", "tags",
        "fixable",
    }  # fmt: skip
    return QuerySpec(
        rule=rule,
        path=path,
        source=text,
        languages=languages,
        message=str(meta.get("message", "")),
        report=str(meta.get("report", "finding")),
        severity=rule.severity,
        fix=fix,
        alternatives=alternatives,
        filters=tuple(meta.get("filters", ())),
        file_filters=tuple(meta.get("file_filters", ())),
        analyzer=analyzer_name,
        tags=tuple(meta.get("tags", ())),
        options={k: v for k, v in meta.items() if k not in known_opts},
    )


# -- compiled rule sets -------------------------------------------------------------------------


class CompiledRules:
    """Every query rule of one language as one combined query."""

    def __init__(self, language_id: str, query: ts.Query, specs: list[QuerySpec]) -> None:
        self.language_id = language_id
        self.query = query
        self.specs = specs  # by pattern index
        self.version = hash((language_id, *(s.source for s in dict.fromkeys(specs))))
        # Patterns whose finding depends on the match alone (no filter, no analyzer, no
        # Python fixer): their findings are built once per region and cached with it.
        self.pure = [
            not s.filters
            and not s.analyzer
            and all(f.fixer is None for f in ((s.fix,) if s.fix else ()) + s.alternatives)
            for s in specs
        ]

    def predicate(
        self,
        predicate: str,
        args: list[tuple[str, Literal["capture", "string"]]],
        pattern_index: int,
        captures: dict[str, list[ts.Node]],
    ) -> bool:
        """py-tree-sitter's callback for predicates it does not implement itself (the
        parameter names are those of tree_sitter.QueryPredicate)."""
        fn = PREDICATES.get(predicate.rstrip("?"))
        if fn is None:
            return True
        values = [captures.get(v, []) if kind == "capture" else v for v, kind in args]
        return fn(values)


def _regions(root: ts.Node, limit: int) -> tuple[list[ts.Node], list[ts.Node]]:
    """Named subtrees of at most ``limit`` bytes covering the tree, and the larger nodes
    above them."""
    regions: list[ts.Node] = []
    splits: list[ts.Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte - node.start_byte <= limit or node.named_child_count == 0:
            regions.append(node)
        else:
            splits.append(node)
            stack.extend(node.named_children)
    return regions, splits


def _records(matches: list[tuple[int, dict[str, list[ts.Node]]]], base: int) -> list[MatchRecord]:
    out: list[MatchRecord] = []
    for pattern, caps in matches:
        flat = tuple(
            (name, n.start_byte - base, n.end_byte - base)
            for name, nodes in caps.items()
            for n in nodes
        )
        out.append((pattern, flat))
    return out


def collect_matches(
    ctx: FileContext, compiled: CompiledRules
) -> tuple[list[MatchRecord], list[Finding]]:
    """Every match of the combined query in the file, with absolute offsets, except those of
    pure patterns, which come back as findings (built once per region, then cached)."""
    data = ctx.data
    regions, splits = _regions(ctx.root, REGION_BYTES)
    out: list[MatchRecord] = []
    findings: list[Finding] = []
    pure = compiled.pure
    shallow = ts.QueryCursor(compiled.query)
    shallow.set_max_start_depth(0)
    for node in splits:
        for record in _records(shallow.matches(node, compiled.predicate), 0):
            if pure[record[0]]:
                finding = finding_of(RuleMatch(compiled.specs[record[0]], record[1]), ctx)
                if finding is not None:
                    findings.append(finding)
            else:
                out.append(record)
    cursor = ts.QueryCursor(compiled.query)
    cache = ctx.cache
    for node in regions:
        start = node.start_byte
        key = ("q", compiled.version, node.type, data[start : node.end_byte])
        cached = cache.get(key) if cache is not None else None
        if cached is None:
            records: list[MatchRecord] = []
            built: list[Finding] = []
            for pattern, caps in _records(cursor.matches(node, compiled.predicate), 0):
                if pure[pattern]:
                    finding = finding_of(RuleMatch(compiled.specs[pattern], caps), ctx)
                    if finding is not None:
                        built.append(finding.shifted(-start))
                else:
                    records.append((pattern, tuple((n, s - start, e - start) for n, s, e in caps)))
            cached = (records, built)
            if cache is not None:
                cache.put(key, cached, len(key[3]) + 64)
        records, built = cached
        for pattern, caps in records:
            out.append((pattern, tuple((n, s + start, e + start) for n, s, e in caps)))
        findings.extend(f.shifted(start) for f in built)
    return out, findings


def _fill(template: str, match: RuleMatch, ctx: FileContext, limit: int = 40) -> str:
    def sub(m: re.Match[str]) -> str:
        text = match.text(ctx, m.group(1))
        return m.group(0) if text is None else snippet(text, limit)

    return _TEMPLATE.sub(sub, template)


def _fill_exact(template: str, match: RuleMatch, ctx: FileContext) -> str:
    def sub(m: re.Match[str]) -> str:
        text = match.text(ctx, m.group(1))
        return m.group(0) if text is None else text

    return _TEMPLATE.sub(sub, template)


def build_fix(spec: FixSpec, match: RuleMatch, ctx: FileContext) -> Fix | None:
    """The fix a :class:`FixSpec` writes for one match (None when it does not apply)."""
    if spec.fixer:
        fn = FIXERS.get(spec.fixer)
        if fn is None:
            log.error("unknown fixer %r in %s", spec.fixer, match.spec.path)
            return None
        return fn(ctx, match)
    edits: list[Edit] = []
    for e in spec.edits:
        span = match.get(e.capture)
        if span is None:
            continue
        start, end = span
        text = _fill_exact(e.text, match, ctx)
        if e.insert == "before":
            edits.append(Edit(start, start, text))
        elif e.insert == "after":
            edits.append(Edit(end, end, text))
        elif e.regex is not None:
            original = ctx.text(start, end)
            found = re.search(e.regex, original)
            if found is None:
                continue
            a = start + len(original[: found.start()].encode("utf-8"))
            b = start + len(original[: found.end()].encode("utf-8"))
            edits.append(Edit(a, b, text))
        else:
            edits.append(Edit(start, end, text))
    if not edits:
        return None
    return Fix(_fill(spec.title, match, ctx), tuple(edits), spec.preferred)


def finding_of(match: RuleMatch, ctx: FileContext, message: str | None = None) -> Finding | None:
    """The finding of one match of a plain (analyzer-less) rule."""
    spec = match.spec
    span = match.get(spec.report)
    if span is None:
        return None
    fix = build_fix(spec.fix, match, ctx) if spec.fix else None
    alternatives = tuple(
        f for a in spec.alternatives if (f := build_fix(a, match, ctx)) is not None
    )
    if fix is None and alternatives:
        fix, alternatives = alternatives[0], alternatives[1:]
    return Finding(
        spec.rule.id,
        message if message is not None else _fill(spec.message, match, ctx),
        span[0],
        span[1],
        spec.severity,
        fix,
        tags=spec.tags,
        alternatives=alternatives,
    )


class QueryRuleBook:
    """Every rule file under a grammars root, compiled per language on first use."""

    def __init__(self, registry: LanguageRegistry | None = None) -> None:
        self.registry = registry or default_registry()
        self.specs: list[QuerySpec] = []
        self.errors: list[str] = []
        self._compiled: dict[str, CompiledRules | None] = {}
        self._lock = threading.Lock()
        known: dict[str, Rule] = {}
        for language in sorted(self.registry, key=lambda lang: lang.id):
            folder = language.spec.folder / "rules"
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.scm")):
                try:
                    spec = parse_rule_file(path, language.id, known)
                except (RuleError, OSError) as exc:
                    self.errors.append(str(exc))
                    log.error("skipping rule file: %s", exc)
                    continue
                known.setdefault(spec.rule.id, spec.rule)
                self.specs.append(spec)

    def rules(self) -> list[Rule]:
        """The rules of every loaded file (one per file; the registry merges languages)."""
        return [s.rule for s in self.specs]

    def compiled(self, language_id: str) -> CompiledRules | None:
        """The combined query of ``language_id``'s rules (None when it has none)."""
        with self._lock:
            if language_id in self._compiled:
                return self._compiled[language_id]
            result = self._compile(language_id)
            self._compiled[language_id] = result
            return result

    def _compile(self, language_id: str) -> CompiledRules | None:
        language = self.registry.by_id(language_id)
        if language is None:
            return None
        specs = [s for s in self.specs if language.id in s.languages]
        if not specs:
            return None
        sources: list[str] = []
        by_pattern: list[QuerySpec] = []
        for spec in specs:
            try:
                single = ts.Query(language.ts_language, spec.source)
            except Exception as exc:
                self.errors.append(f"{spec.path} ({language.id}): {exc}")
                log.error("rule query %s does not compile for %s: %s", spec.path, language.id, exc)
                continue
            sources.append(spec.source)
            by_pattern.extend([spec] * single.pattern_count)
        if not sources:
            return None
        query = ts.Query(language.ts_language, "\n".join(sources))
        return CompiledRules(language.id, query, by_pattern)


def run(ctx: FileContext, book: QueryRuleBook, wanted: Callable[[str], bool]) -> list[Finding]:
    """Findings of every query rule of the file's language that ``wanted(rule_id)``."""
    compiled = book.compiled(ctx.language_id)
    if compiled is None:
        return []
    # A caller that selected other rules (the completion's name check asks for one Python
    # rule on every candidate) must not pay for running every query over the file.
    if not any(wanted(s.rule.id) for s in dict.fromkeys(compiled.specs)):
        return []
    records, prebuilt = collect_matches(ctx, compiled)
    runs: dict[str, bool] = {}

    def on_file(spec: QuerySpec) -> bool:
        key = spec.rule.id
        if key not in runs:
            runs[key] = wanted(key) and all(
                FILE_FILTERS[name](ctx) if name in FILE_FILTERS else False
                for name in spec.file_filters
            )
        return runs[key]

    by_rule = {s.rule.id: s for s in compiled.specs}
    findings: list[Finding] = [f for f in prebuilt if on_file(by_rule[f.rule])]
    grouped: dict[QuerySpec, list[RuleMatch]] = defaultdict(list)
    for pattern, captures in records:
        spec = compiled.specs[pattern]
        if not on_file(spec):
            continue
        match = RuleMatch(spec, captures)
        if spec.analyzer:
            grouped[spec].append(match)
            continue
        if not _passes_filters(ctx, match):
            continue
        finding = finding_of(match, ctx)
        if finding is not None:
            findings.append(finding)
    for spec, matches in grouped.items():
        fn = ANALYZERS.get(spec.analyzer or "")
        if fn is None:
            log.error("unknown analyzer %r in %s", spec.analyzer, spec.path)
            continue
        findings.extend(f for f in fn(ctx, spec, matches))
    return _dedupe(findings)


def _passes_filters(ctx: FileContext, match: RuleMatch) -> bool:
    for name in match.spec.filters:
        fn = FILTERS.get(name)
        if fn is None:
            log.error("unknown filter %r in %s", name, match.spec.path)
            return False
        if not fn(ctx, match):
            return False
    return True


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, int]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.start, f.end)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


_book: QueryRuleBook | None = None
_book_lock = threading.Lock()


def load_all() -> QueryRuleBook:
    """The process-wide book over the default grammars root (loaded once)."""
    global _book
    with _book_lock:
        if _book is None:
            from . import lang as _lang  # noqa: F401 - registers predicates, fixers, analyzers

            _book = QueryRuleBook()
        return _book
