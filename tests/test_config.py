"""Settings: merging sources, validation with clear messages, generated docs."""

from __future__ import annotations

from qwen_lsp.config import Settings, describe, markdown_table, merge, vscode_configuration


def test_sources_merge_in_order_and_accept_both_shapes():
    s, errors = merge(
        Settings(),
        {"completion": {"maxTokens": 10}},
        {"qwenLsp": {"completion.maxTokens": 20, "diagnostics": {"disabled": ["QL101"]}}},
    )
    assert errors == []
    assert s.completion.maxTokens == 20
    assert s.diagnostics.disabled == ["QL101"]


def test_bad_values_are_reported_and_defaults_kept():
    s, errors = merge(
        Settings(),
        {
            "completion": {"maxTokens": "lots", "temperature": 9, "multiline": "sometimes"},
            "nope": 1,
        },
    )
    assert (
        s.completion.maxTokens == 64
        and s.completion.temperature == 0.0
        and s.completion.multiline == "auto"
    )
    assert any("maxTokens must be a number" in e for e in errors)
    assert any("temperature must be at most 2.0" in e for e in errors)
    assert any("multiline must be one of auto, always, never" in e for e in errors)
    assert any("unknown setting qwenLsp.nope" in e for e in errors)


def test_non_object_settings_are_refused():
    s, errors = merge(Settings(), ["not", "an", "object"])
    assert errors and s == Settings()


def test_generated_docs_cover_every_setting():
    keys = [d.key for d in describe()]
    table = markdown_table()
    props = vscode_configuration()["properties"]
    for key in keys:
        assert f"`qwenLsp.{key}`" in table
        assert f"qwenLsp.{key}" in props
    assert props["qwenLsp.completion.multiline"]["enum"] == ["auto", "always", "never"]


def test_readme_settings_table_is_current():
    import importlib.util

    from .support import REPO

    spec = importlib.util.spec_from_file_location("sync_docs", REPO / "scripts" / "sync_docs.py")
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)  # type: ignore[union-attr]
    readme = (REPO / "README.md").read_text()
    assert sync.synced(readme) == readme, (
        "README settings table is stale: run python scripts/sync_docs.py"
    )
