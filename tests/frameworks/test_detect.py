"""Framework detection on small real project layouts: manifests, marker files, imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_lsp.frameworks.catalog import Catalog, default_catalog
from qwen_lsp.frameworks.detect import detect, manifest_dependencies
from qwen_lsp.index.indexer import WorkspaceIndexer
from qwen_lsp.syntax.languages import default_registry

from . import layouts


def _ids(root: Path, **kw) -> set[str]:
    return {d.id for d in detect(root, **kw)}


def test_the_catalog_has_every_framework_the_issue_names():
    catalog = default_catalog()
    assert catalog.errors == []
    assert {"django", "flask", "fastapi", "pytest", "spring", "react", "express"} <= set(
        catalog.frameworks
    )
    for fw in catalog:
        assert fw.snippets, f"{fw.id} has snippets"
        assert fw.dependencies or fw.imports or fw.files


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (layouts.DJANGO, {"django"}),
        (layouts.FLASK, {"flask"}),
        (layouts.FASTAPI, {"fastapi", "pytest"}),
        (layouts.PYTEST, {"pytest"}),
        (layouts.SPRING_MAVEN, {"spring"}),
        (layouts.SPRING_GRADLE, {"spring"}),
        (layouts.REACT, {"react"}),
        (layouts.EXPRESS, {"express"}),
        (layouts.MONOREPO, {"react", "fastapi", "pytest"}),
        (layouts.PLAIN, set()),
    ],
)
def test_manifests_and_files(tmp_path: Path, layout: dict[str, str], expected: set[str]):
    assert _ids(layouts.write(tmp_path, layout)) == expected


def test_evidence_says_why(tmp_path: Path):
    found = {d.id: d for d in detect(layouts.write(tmp_path, layouts.DJANGO))}
    assert found["django"].evidence == (
        "requirements.txt: django",
        "requirements.txt: djangorestframework",
        "file manage.py",
    )
    assert found["django"].to_json()["name"] == "Django"


def test_dependency_names_are_normalised(tmp_path: Path):
    deps = manifest_dependencies(layouts.write(tmp_path, layouts.MONOREPO))
    assert deps["fastapi"] == ["backend/requirements.txt"]
    assert deps["pytest-asyncio"] == ["backend/requirements/dev.txt"]
    assert "react" in deps
    assert not any(d.startswith("-") for d in deps)


def test_imports_from_the_project_index(tmp_path: Path):
    root = layouts.write(tmp_path, layouts.IMPORTS_ONLY)
    assert _ids(root) == set()  # no manifest says so
    indexer = WorkspaceIndexer([root], default_registry(), workers=1, cache_dir=tmp_path / "c")
    indexer.index_all()
    from qwen_lsp.frameworks.detect import index_imports

    found = detect(root, index_imports(indexer.index))
    assert [d.id for d in found] == ["fastapi"]
    assert found[0].evidence == ("import fastapi (service.py)",)
    indexer.close()


def test_ignored_folders_and_broken_manifests(tmp_path: Path):
    layouts.write(
        tmp_path,
        {
            "node_modules/express/package.json": '{"dependencies": {"express": "4"}}',
            "package.json": "{ not json",
            "pyproject.toml": "[project\n",
        },
    )
    assert _ids(tmp_path) == set()


def test_a_framework_is_a_folder_of_data(tmp_path: Path):
    folder = tmp_path / "templates" / "svelte"
    folder.mkdir(parents=True)
    (folder / "framework.toml").write_text(
        'id = "svelte"\nlanguages = ["javascript"]\n[detect]\ndependencies = ["svelte"]\n'
    )
    (tmp_path / "templates" / "broken").mkdir()
    (tmp_path / "templates" / "broken" / "framework.toml").write_text("id = ")
    catalog = Catalog(tmp_path / "templates")
    assert list(catalog.frameworks) == ["svelte"]
    assert len(catalog.errors) == 1
    project = layouts.write(
        tmp_path / "app", {"package.json": '{"devDependencies": {"svelte": "4"}}'}
    )
    assert [d.id for d in detect(project, catalog=catalog)] == ["svelte"]
