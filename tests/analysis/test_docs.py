"""``docs/rules.md`` is generated from the rules themselves and must be current."""

from __future__ import annotations

from qwen_lsp.analysis.rules import default_rules, markdown_reference
from tests.support import REPO


def test_rules_reference_is_current() -> None:
    current = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    expected = markdown_reference(default_rules())
    assert current == expected, "run: python -m qwen_lsp.analysis.rules > docs/rules.md"


def test_every_rule_is_documented_with_its_fix() -> None:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in default_rules():
        assert f"## {rule.id} {rule.name}" in text
        if rule.fixable:
            assert "**Fix.**" in rule.explain, rule.id
