"""Every language folder under ``grammars/`` loads, compiles and captures what a human expects.

For each ``grammars/<lang>/``: ``language.toml`` loads through ``LanguageSpec.from_toml``, the
grammar wheel imports, every ``*.scm`` compiles, ``tests/grammars/samples/sample.<ext>`` (the one
sample whose path the registry maps to that language) parses without ERROR/MISSING nodes, and the
definitions, references and imports its queries capture equal ``tests/grammars/expected/<lang>.json``.

The expected files are generated, then reviewed and corrected by hand::

    python tests/grammars/test_grammars.py --regen [LANG ...]   # (re)write expected/<lang>.json
    python tests/grammars/test_grammars.py --show LANG          # print captures without writing

The capture reading below is the contract ``grammars/README.md`` documents for the index.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import tree_sitter as ts

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # run as a script, or pytest without the package installed
    sys.path.insert(0, str(ROOT))

from qwen_lsp.syntax.languages import Language, LanguageRegistry, LanguageSpec  # noqa: E402

GRAMMARS = ROOT / "grammars"
SAMPLES = HERE / "samples"
EXPECTED = HERE / "expected"
FOLDERS = sorted(p.name for p in GRAMMARS.iterdir() if (p / "language.toml").is_file())
DOC_MARKERS = "/*#-;!%\"'{}()| \t"  # comment and docstring punctuation around a doc line
ALLOWED_PREDICATES = {"eq?", "not-eq?", "match?", "not-match?", "any-of?"}
QUOTES = {'"': '"', "'": "'", "`": "`", "<": ">"}


def strip_quotes(text: str) -> str:
    """``"m"``, ``'m'``, ``<m>`` and ``\\`m\\``` lose their quotes (the index does the same)."""
    if len(text) >= 2 and QUOTES.get(text[0]) == text[-1]:
        return text[1:-1]
    return text


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""


def _span(source: bytes, nodes: list[ts.Node]) -> str:
    """The text a capture stands for: with several nodes (the first and last segment of a path
    that has no node of its own), the source from the first node's start to the last one's end."""
    start = min(n.start_byte for n in nodes)
    end = max(n.end_byte for n in nodes)
    return source[start:end].decode("utf-8", errors="replace")


BLANK_LINE = re.compile(rb"\n[ \t\r\f]*\n")


def _touching(source: bytes, before: ts.Node, after: ts.Node) -> bool:
    """No blank line between ``before`` and ``after`` (attributes, annotations may be)."""
    gap = source[before.end_byte : after.start_byte]
    if source[before.start_byte : before.end_byte].endswith(b"\n"):
        gap = b"\n" + gap  # comment nodes that own their newline (Rust, Bash)
    return BLANK_LINE.search(gap) is None


def _doc_line(source: bytes, doc_nodes: list[ts.Node], definition: ts.Node) -> str | None:
    """First line of the doc: the run of ``@doc`` nodes that touches the definition.

    ``(comment)* @doc . (definition)`` captures every comment before a definition, also those
    a blank line away; keep only the trailing run with no blank line between its nodes nor
    between its last node and the definition (attributes or annotations may sit there). A doc
    inside the definition (a docstring) is kept as is.
    """
    if not doc_nodes:
        return None
    nodes = sorted(doc_nodes, key=lambda n: n.start_byte)
    inside = [n for n in nodes if n.start_byte >= definition.start_byte]
    if inside:
        run = inside[:1]
    else:
        run = []
        after = definition
        for node in reversed(nodes):
            if not _touching(source, node, after):
                break
            run.insert(0, node)
            after = node
        if not run:
            return None
    for line in _text(run[0]).splitlines():
        line = line.strip().strip(DOC_MARKERS).strip()
        if line:
            return line
    return None


def collect(language: Language, source: bytes) -> dict[str, list[dict[str, object]]]:
    """Definitions, references and imports of ``source``, read from the language's queries."""
    tree = language.parser().parse(source)
    result: dict[str, list[dict[str, object]]] = {
        "definitions": [],
        "references": [],
        "imports": [],
    }
    tags = language.query("tags")
    if tags is not None:
        # One tag per @name node: where several patterns capture the same name node, the
        # earliest pattern in the file wins (as in tree-sitter's own tags crate), so a broad
        # reference pattern placed last never re-tags the name of a definition.
        seen: set[tuple[int, int]] = set()
        matches = sorted(ts.QueryCursor(tags).matches(tree.root_node), key=lambda m: m[0])
        for _, caps in matches:
            kinds = [k for k in caps if k.startswith(("definition.", "reference."))]
            assert len(kinds) == 1, f"a tags match needs exactly one @definition/@reference: {caps}"
            role, kind = kinds[0].split(".", 1)
            node = caps[kinds[0]][0]
            names = caps.get("name")
            assert names, f"@{kinds[0]} without @name at line {node.start_point[0] + 1}"
            key = (names[0].start_byte, names[0].end_byte)
            if key in seen:
                continue
            seen.add(key)
            entry: dict[str, object] = {
                "name": _text(names[0]),
                "kind": kind,
                "line": node.start_point[0] + 1,
            }
            if role == "definition":
                doc = _doc_line(source, caps.get("doc", []), node)
                if doc:
                    entry["doc"] = doc
                result["definitions"].append(entry)
            else:
                result["references"].append(entry)
    imports = language.query("imports")
    if imports is not None:
        for _, caps in ts.QueryCursor(imports).matches(tree.root_node):
            assert "import" in caps and "import.module" in caps, (
                f"import match without @import/@import.module: {caps}"
            )
            entry = {
                "line": caps["import"][0].start_point[0] + 1,
                "module": strip_quotes(_span(source, caps["import.module"])),
            }
            for key in ("name", "alias"):
                if f"import.{key}" in caps:
                    entry[key] = strip_quotes(_span(source, caps[f"import.{key}"]))
            result["imports"].append(entry)
    for items in result.values():
        items.sort(
            key=lambda e: (
                e["line"],
                str(e.get("name", "")),
                str(e.get("kind", "")),
                str(e.get("module", "")),
            )
        )
    return result


def _registry() -> LanguageRegistry:
    return LanguageRegistry(GRAMMARS)


def sample_for(registry: LanguageRegistry, folder: str) -> Path:
    """The one file under ``samples/`` that the registry maps to the language of ``folder``."""
    found = [
        p
        for p in sorted(SAMPLES.iterdir())
        if (lang := registry.for_path(p)) is not None and lang.spec.folder.name == folder
    ]
    assert len(found) == 1, f"{folder}: want exactly one sample, found {[p.name for p in found]}"
    return found[0]


def _bad_nodes(tree: ts.Tree) -> list[str]:
    bad: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            bad.append(
                f"{node.type}{' (missing)' if node.is_missing else ''} at "
                f"{node.start_point[0] + 1}:{node.start_point[1] + 1}"
            )
        if node.has_error:
            stack.extend(node.children)
    return bad


@pytest.fixture(scope="module")
def registry() -> LanguageRegistry:
    return _registry()


def test_every_folder_loads(registry: LanguageRegistry) -> None:
    assert not registry.errors
    assert len(registry) == len(FOLDERS)
    assert len(FOLDERS) >= 28


@pytest.mark.parametrize("folder", FOLDERS)
def test_language(folder: str, registry: LanguageRegistry) -> None:
    spec = LanguageSpec.from_toml(GRAMMARS / folder)
    assert spec.kind in {"programming", "data", "markup"}
    assert spec.extensions and all(e.startswith(".") for e in spec.extensions)
    separator = spec.extra.get("module_separator", "/")
    assert isinstance(separator, str) and separator, "module_separator must be a non-empty string"
    language = registry.by_id(spec.id)
    assert language is not None and language.spec.folder.name == folder
    assert isinstance(language.ts_language, ts.Language)
    for scm in sorted((GRAMMARS / folder).glob("*.scm")):
        assert language.query(scm.stem) is not None, scm
    sample = sample_for(registry, folder)
    source = sample.read_bytes()
    tree = language.parser().parse(source)
    assert _bad_nodes(tree) == [], f"{sample.name} does not parse cleanly"
    got = collect(language, source)
    expected = json.loads((EXPECTED / f"{folder}.json").read_text(encoding="utf-8"))
    for key in ("definitions", "imports", "references"):
        assert got[key] == expected[key], f"{folder}: {key} differ"


PREDICATE = re.compile(r"\(#([a-z-]+[?!])")


@pytest.mark.parametrize("folder", FOLDERS)
def test_queries_use_portable_predicates(folder: str) -> None:
    """py-tree-sitter silently ignores predicates it does not know (#not-any-of?, #strip!...)."""
    for scm in sorted((GRAMMARS / folder).glob("*.scm")):
        text = "\n".join(line.split(";", 1)[0] for line in scm.read_text().splitlines())
        unknown = set(PREDICATE.findall(text)) - ALLOWED_PREDICATES
        assert not unknown, f"{scm.name}: predicates py-tree-sitter does not implement: {unknown}"


@pytest.mark.parametrize("folder", FOLDERS)
def test_definitions_do_not_depend_on_pattern_order(
    folder: str, registry: LanguageRegistry
) -> None:
    """Every definition node has one kind, and every name one definition node.

    Patterns are written to be exclusive (a doc-comment variant of a pattern may repeat it with
    the same kind), so an index that keeps any one match per node gets the same kinds as one
    that keeps the earliest pattern.
    """
    language = next(lang for lang in registry if lang.spec.folder.name == folder)
    tags = language.query("tags")
    if tags is None:
        pytest.skip("no tags.scm")
    tree = language.parser().parse(sample_for(registry, folder).read_bytes())
    kinds: dict[tuple[int, int], set[str]] = {}
    homes: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for _, caps in ts.QueryCursor(tags).matches(tree.root_node):
        for cap, nodes in caps.items():
            if cap.startswith("definition."):
                node, name = nodes[0], caps["name"][0]
                kinds.setdefault((node.start_byte, node.end_byte), set()).add(cap[11:])
                homes.setdefault((name.start_byte, name.end_byte), set()).add(
                    (node.start_byte, node.end_byte)
                )
    assert {k: v for k, v in kinds.items() if len(v) > 1} == {}
    assert {k: v for k, v in homes.items() if len(v) > 1} == {}


def test_paths_map_back(registry: LanguageRegistry) -> None:
    ids: dict[str, str] = {}
    exts: dict[str, str] = {}
    names: dict[str, str] = {}
    for folder in FOLDERS:
        spec = LanguageSpec.from_toml(GRAMMARS / folder)
        for lsp_id in spec.lsp_ids:
            assert lsp_id not in ids, f"{lsp_id!r} claimed by {ids.get(lsp_id)} and {folder}"
            ids[lsp_id] = folder
        for ext in spec.extensions:
            assert ext not in exts, f"{ext!r} claimed by {exts.get(ext)} and {folder}"
            exts[ext] = folder
            lang = registry.for_path(f"/x/dir.d/file{ext}")
            assert lang is not None and lang.spec.folder.name == folder, ext
        for name in spec.filenames:
            assert name not in names, f"{name!r} claimed by {names.get(name)} and {folder}"
            names[name] = folder
            lang = registry.for_path(f"/x/{name}")
            assert lang is not None and lang.spec.folder.name == folder, name
        for interpreter in spec.shebangs:
            lang = registry.for_path("/x/script", first_line=f"#!/usr/bin/env {interpreter}")
            assert lang is not None and lang.spec.folder.name == folder, interpreter
        assert registry.by_id(spec.id).spec.folder.name == folder


def _main(argv: list[str]) -> int:
    registry = _registry()
    show = argv[:1] == ["--show"]
    if not argv or argv[0] not in {"--regen", "--show"}:
        print(__doc__)
        return 2
    for folder in argv[1:] or FOLDERS:
        language = next(lang for lang in registry if lang.spec.folder.name == folder)
        sample = sample_for(registry, folder)
        source = sample.read_bytes()
        bad = _bad_nodes(language.parser().parse(source))
        if bad:
            print(f"{folder}: {sample.name} has parse errors: {bad}", file=sys.stderr)
        got = collect(language, source)
        text = json.dumps(got, indent=1, ensure_ascii=False) + "\n"
        if show:
            print(f"== {folder} ({sample.name})")
            for key, items in got.items():
                print(f"-- {key}")
                for item in items:
                    print("  ", json.dumps(item, ensure_ascii=False))
        else:
            (EXPECTED / f"{folder}.json").write_text(text, encoding="utf-8")
            print(f"wrote expected/{folder}.json")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
