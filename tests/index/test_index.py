"""The index: scanning with .gitignore, summaries, the on-disk cache, resolution through
imports, fuzzy symbol search."""

from __future__ import annotations

from pathlib import Path

from qwen_lsp.index.fuzzy import fuzzy_score
from qwen_lsp.index.indexer import WorkspaceIndexer
from qwen_lsp.index.scanner import ScanStats, scan
from qwen_lsp.syntax.languages import default_registry


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def test_scan_honours_gitignore_at_every_level_and_skips_vendored(tmp_path: Path):
    _write(
        tmp_path,
        {
            ".gitignore": "generated/\n*.tmp.py\n",
            "app/main.py": "x = 1\n",
            "app/.gitignore": "secret.py\n",
            "app/secret.py": "KEY = 1\n",
            "generated/out.py": "y = 2\n",
            "app/scratch.tmp.py": "z = 3\n",
            "node_modules/lib/index.js": "module.exports = 1\n",
            "big.py": "#" * 5000,
            "notes.txt": "not code",
        },
    )
    stats = ScanStats()
    found = sorted(
        Path(f.path).relative_to(tmp_path).as_posix()
        for f in scan([tmp_path], default_registry(), 4000, None, stats)
    )
    assert found == ["app/main.py"]
    assert stats.too_large == 1
    assert stats.unknown_language >= 1


def test_scan_user_excludes(tmp_path: Path):
    _write(tmp_path, {"a/x.py": "", "b/y.py": ""})
    found = [Path(f.path).name for f in scan([tmp_path], default_registry(), exclude=["b/"])]
    assert found == ["x.py"]


def _project(tmp_path: Path) -> dict[str, str]:
    files = {
        "pkg/__init__.py": "",
        "pkg/models.py": 'class User:\n    """A user of the shop."""\n    def name(self):\n        return "n"\n\ndef make_user():\n    return User()\n',
        "pkg/views.py": "from .models import User, make_user as mk\nfrom pkg import models\n\ndef show():\n    u = mk()\n    return models.User, User\n",
        "web/api.js": 'import { helper } from "./util.js";\nexport function run() { return helper(1); }\n',
        "web/util.js": "/** Doubles a number. */\nexport function helper(x) { return 2 * x; }\n",
    }
    _write(tmp_path, files)
    return files


def test_definitions_resolve_through_imports(tmp_path: Path):
    _project(tmp_path)
    ix = WorkspaceIndexer(
        [tmp_path], default_registry(), cache_dir=tmp_path / ".cache-test", workers=1
    )
    stats = ix.index_all()
    assert stats.parsed == 5 and stats.from_cache == 0
    views = str((tmp_path / "pkg/views.py").resolve())
    models = str((tmp_path / "pkg/models.py").resolve())
    hits = ix.index.find_definitions(views, "mk")  # aliased import
    assert [(h.path, h.definition.name) for h in hits] == [(models, "make_user")]
    hits = ix.index.find_definitions(views, "User", qualifier="models")  # module attribute
    assert hits[0].path == models and hits[0].definition.kind == "class"
    assert hits[0].definition.doc == "A user of the shop."
    api = str((tmp_path / "web/api.js").resolve())
    hits = ix.index.find_definitions(api, "helper")
    assert hits[0].path.endswith("web/util.js") and hits[0].definition.doc == "Doubles a number."
    init = str((tmp_path / "pkg/__init__.py").resolve())
    assert set(ix.index.imported_files(views)) == {
        models,
        init,
    }  # `from pkg import models` runs pkg/__init__ too
    assert ix.index.importers_of(models) == [views]
    ix.close()


def test_warm_restart_reads_the_cache_and_notices_changes(tmp_path: Path):
    _project(tmp_path)
    cache = tmp_path / ".cache-test"
    first = WorkspaceIndexer([tmp_path], default_registry(), cache_dir=cache, workers=1)
    first.index_all()
    first.close()
    (tmp_path / "pkg/models.py").write_text("def renamed():\n    pass\n")
    (tmp_path / "web/util.js").unlink()
    second = WorkspaceIndexer([tmp_path], default_registry(), cache_dir=cache, workers=1)
    stats = second.index_all()
    assert stats.from_cache == 3 and stats.parsed == 1 and stats.removed == 1
    assert [h.definition.name for h in second.index.search("renamed")] == ["renamed"]
    assert second.index.definitions_named("User") == []
    second.close()


def test_corrupt_cache_is_rebuilt(tmp_path: Path):
    _project(tmp_path)
    cache = tmp_path / ".cache-test"
    ix = WorkspaceIndexer([tmp_path], default_registry(), cache_dir=cache, workers=1)
    ix.index_all()
    ix.close()
    for db in cache.glob("*.sqlite3"):
        db.write_bytes(b"this is not a database" * 100)
    again = WorkspaceIndexer([tmp_path], default_registry(), cache_dir=cache, workers=1)
    assert again.index_all().parsed == 5
    again.close()


def test_process_pool_indexing_gives_the_same_index(tmp_path: Path):
    for i in range(80):  # above the pool threshold
        _write(tmp_path, {f"m{i}.py": f"def f{i}():\n    return {i}\n"})
    ix = WorkspaceIndexer([tmp_path], default_registry(), cache_dir=tmp_path / ".c", workers=2)
    stats = ix.index_all()
    assert stats.parsed == 80
    assert len(ix.index.definitions_named("f79")) == 1
    ix.close()


def test_fuzzy_ranking():
    names = ["get_current_user", "getCurrentUser", "current", "UserGetter", "gcu_helper"]
    ranked = sorted(names, key=lambda n: -fuzzy_score("gcu", n))
    assert ranked[0] == "gcu_helper"  # prefix beats initials
    assert fuzzy_score("gcu", "get_current_user") > fuzzy_score("gcu", "UserGetter")
    assert fuzzy_score("xyz", "get_current_user") == 0
    assert (
        fuzzy_score("User", "User")
        > fuzzy_score("User", "UserGetter")
        > fuzzy_score("User", "get_current_user")
    )
