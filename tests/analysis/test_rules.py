"""Every rule on its fixture file (``fixtures/<RULE>[_variant].<ext>``), ruff-style: lines
marked ``expect: QLnnn`` must produce that finding, no other line may; and every fix, applied
alone and all together, leaves a file that parses and no longer has that finding.

The fixtures are analysed under a neutral path (``/project/src/...``): under ``tests/`` some
rules stay quiet on purpose (test code may unwrap, may dereference None).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from qwen_lsp.analysis import query_rules
from qwen_lsp.analysis.cache import ResultCache
from qwen_lsp.analysis.engine import AnalysisOptions, analyze
from qwen_lsp.analysis.findings import Finding, Fix
from qwen_lsp.analysis.rules import default_rules
from qwen_lsp.features.code_actions import combine
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(p for p in FIXTURES.iterdir() if p.is_file() and p.name.startswith("QL"))
_EXPECT = re.compile(r"expect: ((?:QL\d+\s*)+)")


def rule_of(path: Path) -> str:
    """``QL301_script.js`` -> ``QL301``."""
    return re.split(r"[_.]", path.name)[0]


def analyse(text: str, name: str, rule: str | None = None, cache: ResultCache | None = None):
    language = default_registry().for_path(name)
    assert language is not None, name
    doc = Document(f"file:///project/src/{name}", text, 1, language)
    options = AnalysisOptions(select=frozenset({rule})) if rule else AnalysisOptions()
    return doc, analyze(doc.snapshot(), options, cache)


def expected_lines(text: str, rule: str) -> Counter[int]:
    out: Counter[int] = Counter()
    for i, line in enumerate(text.splitlines()):
        m = _EXPECT.search(line)
        if m:
            for found in m.group(1).split():
                if found == rule:
                    out[i] += 1
    return out


def found_lines(doc: Document, findings: list[Finding]) -> Counter[int]:
    return Counter(doc.buffer.point_of_offset(f.start).row for f in findings)


def apply(text: str, edits) -> str:
    data = text.encode()
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        data = data[: e.start] + e.text.encode() + data[e.end :]
    return data.decode()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fires_on_positives_only(path: Path) -> None:
    text = path.read_text()
    rule = rule_of(path)
    doc, findings = analyse(text, path.name, rule)
    assert not doc.tree.root_node.has_error, f"{path.name} itself must parse"
    assert {f.rule for f in findings} <= {rule}
    assert found_lines(doc, findings) == expected_lines(text, rule), [
        (doc.buffer.point_of_offset(f.start).row + 1, f.message) for f in findings
    ]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_fix_parses_and_resolves_its_finding(path: Path) -> None:
    text = path.read_text()
    rule = rule_of(path)
    _, findings = analyse(text, path.name, rule)
    for finding in findings:
        for fix in finding.fixes:
            fixed = apply(text, fix.edits)
            fixed_doc, after = analyse(fixed, path.name, rule)
            assert not fixed_doc.tree.root_node.has_error, (fix.title, fixed)
            assert len(after) < len(findings), (fix.title, finding.message, fixed)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fix_all_in_file_leaves_only_unfixable_findings(path: Path) -> None:
    text = path.read_text()
    rule = rule_of(path)
    _, findings = analyse(text, path.name, rule)
    fixes: list[Fix] = [f.fix for f in findings if f.fix is not None]
    if not fixes:
        assert not default_rules().get(rule).fixable or not findings
        return
    for _ in range(3):  # overlapping fixes are left for the next round, as in the editor
        _, findings = analyse(text, path.name, rule)
        fixes = [f.fix for f in findings if f.fix is not None]
        if not fixes:
            break
        text = apply(text, combine(fixes))
    doc, after = analyse(text, path.name, rule)
    assert not doc.tree.root_node.has_error, text
    assert all(f.fix is None for f in after), [(f.message, f.fix) for f in after]


def test_every_rule_has_a_fixture_docs_and_metadata() -> None:
    names = {rule_of(p) for p in FILES}
    for rule in default_rules():
        if rule.id == "QL001":
            continue  # syntax errors have their own tests (tests/syntax, the e2e session)
        assert rule.id in names, f"no fixture for {rule.id}"
        assert rule.summary and len(rule.explain) > 200, rule.id
        assert "**Why.**" in rule.explain or "**Why**" in rule.explain, rule.id
        assert re.fullmatch(r"[a-z0-9-]+", rule.name), rule.id
    fixable = {r.id for r in default_rules() if r.fixable}
    assert {"QL101", "QL102", "QL104", "QL106", "QL108", "QL301", "QL501"} <= fixable


def test_findings_say_what_and_why() -> None:
    """Messages are sentences with a reason, not bare labels."""
    for path in FILES:
        _, findings = analyse(path.read_text(), path.name, rule_of(path))
        for f in findings:
            assert len(f.message) > 30 and (":" in f.message or ";" in f.message), f.message


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_incremental_cache_gives_the_same_findings(path: Path, monkeypatch) -> None:
    """The region/chunk cache is exact: after edits anywhere, cached analysis equals a fresh
    one (checked by inserting a line at every fifth line of the fixture; small regions so
    that the small fixtures have several)."""
    monkeypatch.setattr(query_rules, "REGION_BYTES", 64)
    text = path.read_text()
    cache = ResultCache()
    analyse(text, path.name, cache=cache)
    lines = text.splitlines(keepends=True)
    comment = "#" if path.suffix == ".py" else "//"
    for i in range(0, len(lines), 5):
        indent = re.match(r"\s*", lines[i]).group(0)
        edited = "".join([*lines[:i], f"{indent}{comment} edited\n", *lines[i:]])
        _, cached = analyse(edited, path.name, cache=cache)
        _, fresh = analyse(edited, path.name)
        assert cached == fresh, (path.name, i)
    assert cache.hits > 0
