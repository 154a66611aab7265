"""Where a generated test file goes, following the project's own layout, and how it imports
the code under test. An existing file is never overwritten: the name gets ``_generated``
(then a number) instead.

Python: the import root is the first folder above the module without ``__init__.py`` (so a
``src/`` layout works); tests go to ``tests/`` (or ``test/``), into a sub-folder mirroring
the package when the project has one, else beside the module when its tests live there; the
name follows the majority of existing tests (``test_x.py`` or ``x_test.py``).
JavaScript: ``test/``, ``tests/`` or ``__tests__/`` (else ``test/``), named ``x.test.js`` or
``x.spec.js`` as the project does, importing the source by a relative path.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

_SKIP = {"node_modules", ".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox"}


_MARKERS = (
    ".git",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "package.json",
    "pytest.ini",
    "tox.ini",
    "tests",
    "test",
)


def project_of(path: Path, workspace: Path) -> Path:
    """The project a file belongs to: the nearest folder between it and ``workspace`` with a
    project marker (a manifest, ``.git``, a tests folder), else ``workspace``."""
    path, workspace = path.resolve(), workspace.resolve()
    for folder in path.parents:
        if folder != workspace and workspace not in folder.parents:
            break
        if any((folder / marker).exists() for marker in _MARKERS):
            return folder
        if folder == workspace:
            break
    return workspace


@dataclass(frozen=True)
class Placement:
    """Where the tests of one source file go."""

    test_path: Path
    import_root: Path  # Python: the folder on sys.path; JavaScript: the test's folder
    module: str  # Python dotted name, or the JavaScript import specifier
    esm: bool = False


def _existing_tests(root: Path, patterns: tuple[str, ...], limit: int = 2000) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")]
        for name in files:
            if any(Path(name).match(p) for p in patterns):
                found.append(Path(folder) / name)
        if len(found) >= limit:
            break
    return found


def free_path(path: Path) -> Path:
    """``path`` when it does not exist, else ``<stem>_generated[_N]<suffix>``."""
    if not path.exists():
        return path
    stem, suffix = path.name, ""
    for ext in (".test.js", ".spec.js", ".test.mjs", ".test.ts", ".py", ".js", ".mjs"):
        if path.name.endswith(ext):
            stem, suffix = path.name[: -len(ext)], ext
            break
    n = 1
    while True:
        candidate = path.with_name(f"{stem}_generated{'' if n == 1 else f'_{n}'}{suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def python_placement(source: Path, root: Path, out: Path | None = None) -> Placement:
    """Placement of a Python module's tests."""
    source = source.resolve()
    package_dir = source.parent
    import_root = package_dir
    while (import_root / "__init__.py").is_file() and import_root.parent != import_root:
        import_root = import_root.parent
    parts = [*package_dir.relative_to(import_root).parts, source.stem]
    if source.stem == "__init__":
        parts = parts[:-1]
    module = ".".join(parts) or source.stem
    existing = _existing_tests(root, ("test_*.py", "*_test.py"))
    suffix_style = sum(p.name.endswith("_test.py") for p in existing) > len(existing) / 2
    name = f"{source.stem}_test.py" if suffix_style else f"test_{source.stem}.py"
    if source.stem == "__init__":
        name = name.replace("__init__", package_dir.name)
    folder = out if out is not None else _python_folder(source, root, parts, existing)
    return Placement(free_path(folder / name), import_root, module)


def _python_folder(source: Path, root: Path, parts: list[str], existing: list[Path]) -> Path:
    for candidate in ("tests", "test"):
        tests = root / candidate
        if tests.is_dir():
            # Mirror the package when the project's tests do (tests/<subpackage>/test_x.py).
            package = parts[:-1]
            for depth in range(len(package), 1, -1):
                sub = tests.joinpath(*package[1:depth])
                if sub.is_dir():
                    return sub
            return tests
    if any(p.parent == source.parent for p in existing):
        return source.parent
    return root / "tests"


def _is_esm(source: Path, root: Path) -> bool:
    if source.suffix == ".mjs":
        return True
    if source.suffix == ".cjs":
        return False
    package = root / "package.json"
    if package.is_file():
        try:
            if json.loads(package.read_text(encoding="utf-8")).get("type") == "module":
                return True
        except (OSError, ValueError):
            pass
    return False


def javascript_placement(
    source: Path, root: Path, esm_syntax: bool, out: Path | None = None
) -> Placement:
    """Placement of a JavaScript module's tests (``esm_syntax``: the source uses ``export``)."""
    source = source.resolve()
    esm = _is_esm(source, root) or esm_syntax
    existing = _existing_tests(root, ("*.test.js", "*.spec.js", "*.test.mjs", "*.spec.mjs"))
    style = "spec" if sum(".spec." in p.name for p in existing) > len(existing) / 2 else "test"
    # An ES module in a CommonJS package: the test must be .mjs to use `import`.
    ext = ".mjs" if esm and not _is_esm(source, root) else ".js"
    if source.suffix == ".mjs":
        ext = ".mjs"
    folder: Path | None
    if out is not None:
        folder = out
    else:
        folder = next(
            (root / d for d in ("test", "tests", "__tests__") if (root / d).is_dir()),
            None,
        )
        if folder is None:
            folder = (
                source.parent if any(p.parent == source.parent for p in existing) else root / "test"
            )
    test_path = free_path(folder / f"{source.stem}.{style}{ext}")
    relative = os.path.relpath(source, test_path.parent).replace(os.sep, "/")
    if not relative.startswith("."):
        relative = "./" + relative
    return Placement(test_path, test_path.parent, relative, esm)
