"""Snippet items: the project's own names filled in, and every snippet, expanded with its
defaults, parses in its language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qwen_lsp.frameworks.catalog import default_catalog
from qwen_lsp.frameworks.context import _current_summary
from qwen_lsp.frameworks.snippets import FILTERS, FileContext, render, snippet_items
from qwen_lsp.index.indexer import WorkspaceIndexer
from qwen_lsp.syntax.languages import default_registry

from . import layouts


def _context(root: Path, rel: str, index=None) -> FileContext:
    path = str(root / rel)
    text = (root / rel).read_text()
    language = default_registry().for_path(path)
    tree = language.parser().parse(text.encode())
    return FileContext(
        path, text, language.id, _current_summary(path, language.id, text, tree), index, str(root)
    )


def _items(root: Path, rel: str, frameworks: set[str], index=None) -> dict[str, str]:
    return {i.prefix: i.body for i in snippet_items(frameworks, _context(root, rel, index))}


def expand(body: str) -> str:
    """A snippet as the editor inserts it when every placeholder keeps its default (LSP
    snippet grammar: tabstops, placeholders, choices, transforms, escapes; mirrors)."""
    defaults: dict[str, str] = {}

    def parse(i: int, stop: str) -> tuple[str, int]:
        out = []
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body) and body[i + 1] in "$}\\,|":
                out.append(body[i + 1])
                i += 2
            elif stop and ch == stop:
                return "".join(out), i
            elif ch == "$" and (m := re.match(r"\$(\d+)", body[i:])):
                out.append(defaults.get(m.group(1), ""))
                i += len(m.group(0))
            elif ch == "$" and (m := re.match(r"\$\{(\d+)([:|/}])", body[i:])):
                n, kind = m.groups()
                i += len(m.group(0))
                if kind == "}":
                    out.append(defaults.get(n, ""))
                elif kind == ":":
                    text, i = parse(i, "}")
                    defaults.setdefault(n, text)
                    out.append(text)
                    i += 1
                elif kind == "|":
                    end = body.index("|}", i)
                    first = body[i:end].split(",")[0]
                    defaults.setdefault(n, first)
                    out.append(first)
                    i = end + 2
                else:  # a transform of another tabstop: some capitalised word
                    depth = 1
                    while depth:
                        depth += {"{": 1, "}": -1}.get(body[i], 0)
                        i += 1
                    out.append("Value")
            else:
                out.append(ch)
                i += 1
        return "".join(out), i

    return parse(0, "")[0]


def test_django_snippets_name_the_apps_models_and_views(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.DJANGO)
    views = _items(root, "blog/views.py", {"django"})
    assert set(views) == {"djview", "djdetail", "djlistview"}
    assert "${3|Article,Comment|}.objects.all()" in views["djview"]
    assert "def ${1:article}_list(request):" in views["djview"]
    assert '"${4:blog}/${1:article}_list.html"' in views["djview"]
    (root / "blog" / "views.py").write_text("def article_list(request):\n    pass\n")
    urls = _items(root, "blog/urls.py", {"django"})
    assert "views.${2|article_list|}" in urls["djpath"]
    assert 'name="${3:article-list}"' in urls["djpath"]


def test_fastapi_snippets_use_the_app_object_and_schemas(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.FASTAPI)
    indexer = WorkspaceIndexer([root], default_registry(), workers=1, cache_dir=tmp_path / "c")
    indexer.index_all()
    items = _items(root, "api/main.py", {"fastapi"}, indexer.index)
    assert items["faget"].startswith('@${1|shop|}.get("/${2:orders}/')
    assert "response_model=${4|Order|}" in items["faget"]
    indexer.close()


def test_spring_controller_is_named_after_the_file_in_its_package(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.SPRING_MAVEN)
    indexer = WorkspaceIndexer([root], default_registry(), workers=1, cache_dir=tmp_path / "c")
    indexer.index_all()
    items = _items(
        root, "src/main/java/com/acme/shop/OrderController.java", {"spring"}, indexer.index
    )
    body = items["sprestcontroller"]
    assert "public class ${2:OrderController} {" in body
    assert '@RequestMapping("/${1:orders}")' in body
    assert "private final ${3|OrderService|} ${4:orderService};" in body
    assert items["sppackage"] == "package com.acme.shop;"
    indexer.close()


def test_react_component_and_express_route(tmp_path: Path):
    root = layouts.write(tmp_path, {**layouts.REACT, "src/user-card.tsx": ""})
    items = _items(root, "src/user-card.tsx", {"react"})
    assert "export function ${1:UserCard}({ ${2:title} }: ${1:UserCard}Props)" in items["rfc"]
    root = layouts.write(tmp_path / "srv", layouts.EXPRESS)
    items = _items(root, "server.js", {"express"})
    assert items["exroute"].startswith("${1|api|}.${2|get,post,put,delete|}(")


def test_filters():
    assert FILTERS["snake"]("OrderItem") == "order_item"
    assert FILTERS["kebab"]("article_list") == "article-list"
    assert FILTERS["camel"]("OrderService") == "orderService"
    assert FILTERS["pascal"]("user-card") == "UserCard"
    assert [FILTERS["plural"](w) for w in ("order", "category", "box")] == [
        "orders",
        "categories",
        "boxes",
    ]
    assert render(
        "{{x|snake|plural}} {{y*}} {{missing}}", {"x": ["BlogPost"], "y": ["a", "b"]}
    ) == ("blog_posts a,b missing")
    assert render("{{v}}", {"v": ["a$b}"]}) == "a\\$b\\}"


@pytest.mark.parametrize("framework", sorted(default_catalog().frameworks))
def test_every_snippet_expands_to_code_that_parses(framework: str):
    registry = default_registry()
    fw = default_catalog().get(framework)
    defaults = {k: [str(v["default"])] for k, v in fw.variables.items() if "default" in v}
    defaults.update(file_stem=["order_items"], folder=["shop"])
    for template in fw.snippets:
        for language_id in template.languages:
            language = registry.by_id(language_id)
            code = expand(render(template.body, defaults))
            if language_id in ("javascript", "typescript") and "<div>" in code:
                continue  # JSX: checked under javascriptreact / typescriptreact
            if template.prefix == "praises":
                code = "def test_x():\n" + "\n".join("    " + line for line in code.splitlines())
            tree = language.parser().parse(code.encode())
            assert not tree.root_node.has_error, (
                f"{framework}/{template.prefix} ({language_id}):\n{code}"
            )


def test_the_expander_follows_the_snippet_grammar():
    assert expand("${1:a} $1 ${2|x,y|} {\\} ${0:f({\\})}") == "a a x {} f({})"
