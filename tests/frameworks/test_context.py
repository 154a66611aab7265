"""Framework-related files as completion context (the context builder's third source)."""

from __future__ import annotations

import time
from pathlib import Path

from qwen_lsp.context.crossfile import SourceLines
from qwen_lsp.frameworks.context import framework_snippets, rules_for
from qwen_lsp.syntax.languages import default_registry

from . import layouts


def _snippets(root: Path, rel: str, budget: int = 2000, index=None):
    path = str(root / rel)
    text = (root / rel).read_text()
    language = default_registry().for_path(path)
    tree = language.parser().parse(text.encode())
    return framework_snippets(
        path,
        str(root),
        language.id,
        text,
        tree,
        index,
        budget,
        lambda s: len(s) // 4,
        time.monotonic() + 5,
        SourceLines({}),
    )


def test_django_views_get_the_apps_models(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.DJANGO)
    found = _snippets(root, "blog/views.py")
    assert [s.path for s in found] == ["blog/models.py", "blog/models.py"]
    assert all(s.source == "framework" for s in found)
    assert found[0].text.startswith("class Article(models.Model):\n    title = models.CharField")
    assert found[1].text.startswith("class Comment(models.Model):")
    # urls.py gets the models and the views
    (root / "blog" / "views.py").write_text("def article_list(request):\n    return None\n")
    assert {s.path for s in _snippets(root, "blog/urls.py")} == {"blog/models.py", "blog/views.py"}


def test_the_budget_is_honoured(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.DJANGO)
    found = _snippets(root, "blog/views.py", budget=60)
    assert [s.text.split("(")[0] for s in found] == ["class Article"]


def test_no_context_without_the_framework(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.PLAIN)
    assert rules_for(str(root / "x" / "views.py"), "python")  # a name Django rules name...
    assert _snippets(root, "x/views.py") == []  # ...but this project is not Django


def test_the_files_own_imports_are_enough(tmp_path: Path):
    files = {k: v for k, v in layouts.DJANGO.items() if k.startswith("blog/")}
    files["blog/views.py"] = "from django.shortcuts import render\n\n\ndef index(request):\n    "
    root = layouts.write(tmp_path, files)
    assert [s.path for s in _snippets(root, "blog/views.py")][:1] == ["blog/models.py"]


def test_react_props_of_imported_components(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.REACT)
    found = {s.path: s.text for s in _snippets(root, "src/App.tsx")}
    assert found["src/Button.tsx"].startswith("export interface ButtonProps {\n  label: string;")
    assert found["src/Card.jsx"].startswith("Card.propTypes = {\n  title: PropTypes.string")


def test_fastapi_routes_get_the_schemas(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.FASTAPI)
    found = _snippets(root, "api/main.py")
    assert [s.path for s in found] == ["api/schemas.py"]
    assert "class Order(BaseModel)" in found[0].text
