"""Which frameworks a project uses: from its manifests, its files and its imports.

Manifests read (at the root and up to two folders below, for monorepos): ``requirements*.txt``
(and ``requirements/*.txt``), ``pyproject.toml`` (PEP 621, dependency groups, Poetry, a
``[tool.pytest.ini_options]`` table), ``setup.cfg``, ``setup.py``, ``Pipfile``,
``package.json``, ``pom.xml`` and ``build.gradle[.kts]``. Imports come from the project index
(every file's summary) or from the files given. Each detection keeps its evidence, so a user
can see why a framework was assumed.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import Catalog, default_catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_SKIP_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".venv",
        "venv",
        "env",
        ".env",
        "__pycache__",
        "dist",
        "build",
        "target",
        ".tox",
        ".nox",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
_MANIFESTS = frozenset(
    {
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "Pipfile",
        "package.json",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
    }
)
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PROJECT_MARKERS = (
    ".git",
    "pyproject.toml",
    "package.json",
    "setup.py",
    "setup.cfg",
    "requirements.txt",
    "manage.py",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Cargo.toml",
    "go.mod",
)


@dataclass(frozen=True)
class Detection:
    """A framework the project uses, and why we think so."""

    id: str
    name: str
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"id": self.id, "name": self.name, "evidence": list(self.evidence)}


def normalize(name: str) -> str:
    """A package name as PEP 503 compares them (``Django_REST.framework`` ->
    ``django-rest-framework``); Maven/Gradle ``group:artifact`` names only lower-cased."""
    name = name.strip().lower()
    if ":" in name:
        return name
    return re.sub(r"[-_.]+", "-", name)


def project_root(path: Path) -> Path:
    """The nearest folder above ``path`` that looks like a project root (else its folder)."""
    start = path if _exists(path, dir_only=True) else path.parent
    for folder in [start, *start.parents]:
        if any(_exists(folder / marker) for marker in _PROJECT_MARKERS):
            return folder
    return start


def _exists(path: Path, dir_only: bool = False) -> bool:
    """``exists()``/``is_dir()`` that say False for paths the system cannot even look up
    (a name over 255 bytes, a NUL byte) instead of raising: URIs come from clients."""
    try:
        return path.is_dir() if dir_only else path.exists()
    except (OSError, ValueError):
        return False


# -- manifests -----------------------------------------------------------------------------


def _requirement_names(lines: Iterable[str]) -> list[str]:
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = _REQUIREMENT.match(line)
        if m:
            out.append(m.group(1))
    return out


def _pep508_names(items: Iterable[Any]) -> list[str]:
    return _requirement_names(str(x) for x in items if isinstance(x, str))


def _pyproject(text: str) -> list[str]:
    data = tomllib.loads(text)
    names: list[str] = []
    project = data.get("project", {})
    names += _pep508_names(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        names += _pep508_names(extra)
    for group in data.get("dependency-groups", {}).values():
        names += _pep508_names(group)
    tool = data.get("tool", {})
    poetry = tool.get("poetry", {})
    names += [k for k in poetry.get("dependencies", {}) if k.lower() != "python"]
    names += list(poetry.get("dev-dependencies", {}))
    for group in poetry.get("group", {}).values():
        names += list(group.get("dependencies", {}))
    if "ini_options" in tool.get("pytest", {}):
        names.append("pytest")
    return names


def _setup_cfg(text: str) -> list[str]:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    names: list[str] = []
    if parser.has_option("options", "install_requires"):
        names += _requirement_names(parser.get("options", "install_requires").splitlines())
    if parser.has_section("options.extras_require"):
        for _key, value in parser.items("options.extras_require"):
            names += _requirement_names(value.splitlines())
    if parser.has_section("tool:pytest"):
        names.append("pytest")
    return names


def _setup_py(text: str) -> list[str]:
    names: list[str] = []
    for block in re.finditer(
        r"(?:install_requires|tests_require|extras_require)\s*=\s*([\[{])", text
    ):
        closer = "]" if block.group(1) == "[" else "}"
        end = text.find(closer, block.end())
        body = text[block.end() : end if end > 0 else len(text)]
        names += _requirement_names(re.findall(r"[\"']([^\"']+)[\"']", body))
    return names


def _pipfile(text: str) -> list[str]:
    data = tomllib.loads(text)
    return [*data.get("packages", {}), *data.get("dev-packages", {})]


def _package_json(text: str) -> list[str]:
    data = json.loads(text)
    names: list[str] = []
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        section = data.get(key)
        if isinstance(section, dict):
            names += list(section)
    return names


def _pom(text: str) -> list[str]:
    names = [
        f"{g.strip()}:{a.strip()}"
        for g, a in re.findall(
            r"<groupId>([^<]+)</groupId>\s*<artifactId>([^<]+)</artifactId>", text
        )
    ]
    return names


def _gradle(text: str) -> list[str]:
    names = [
        f"{g}:{a}" for g, a in re.findall(r"[\"']([\w.\-]+):([\w.\-]+)(?::[^\"']*)?[\"']", text)
    ]
    names += [f"{p}:plugin" for p in re.findall(r"\bid\s*\(?\s*[\"']([\w.\-]+)[\"']", text)]
    return names


_READERS = {
    "pyproject.toml": _pyproject,
    "setup.cfg": _setup_cfg,
    "setup.py": _setup_py,
    "Pipfile": _pipfile,
    "package.json": _package_json,
    "pom.xml": _pom,
    "build.gradle": _gradle,
    "build.gradle.kts": _gradle,
}


def _manifest_files(root: Path, depth: int = 2) -> list[Path]:
    found: list[Path] = []

    def walk(folder: Path, level: int) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if _exists(entry, dir_only=True):
                if level < depth and name not in _SKIP_DIRS and not name.startswith("."):
                    if name == "requirements":
                        found.extend(sorted(entry.glob("*.txt")))
                    walk(entry, level + 1)
            elif name in _MANIFESTS or fnmatch.fnmatch(name, "requirements*.txt"):
                found.append(entry)

    walk(root, 0)
    return found


def manifest_dependencies(root: Path) -> dict[str, list[str]]:
    """Normalised dependency name -> the manifests (relative paths) that declare it."""
    deps: dict[str, list[str]] = {}
    for path in _manifest_files(root):
        name = path.name
        reader = _READERS.get(name)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            names = reader(text) if reader else _requirement_names(text.splitlines())
        except (OSError, ValueError, tomllib.TOMLDecodeError, configparser.Error):
            continue
        rel = path.relative_to(root).as_posix()
        for dep in names:
            where = deps.setdefault(normalize(dep), [])
            if rel not in where:
                where.append(rel)
    return deps


# -- detection -----------------------------------------------------------------------------


def _imports_match(module: str, pattern: str) -> bool:
    module = module.strip()
    return module == pattern or module.startswith((pattern + ".", pattern + "/"))


def detect(
    root: Path,
    imports: Iterable[tuple[str, str]] = (),
    catalog: Catalog | None = None,
) -> list[Detection]:
    """Frameworks of the project at ``root``; ``imports`` are ``(module, file)`` pairs (from
    the index, or any files read by the caller)."""
    catalog = catalog or default_catalog()
    root = Path(root)
    deps = manifest_dependencies(root) if root.is_dir() else {}
    imports = list(imports)
    out: list[Detection] = []
    for fw in catalog:
        evidence: list[str] = []
        for pattern in fw.dependencies:
            pat = normalize(pattern) if ":" not in pattern else pattern.lower()
            for dep, where in deps.items():
                if fnmatch.fnmatchcase(dep, pat):
                    evidence.append(f"{where[0]}: {dep}")
                    break
        for pattern in fw.files:
            for hit in [*root.glob(pattern), *root.glob(f"*/{pattern}")][:1]:
                evidence.append(f"file {hit.relative_to(root).as_posix()}")
        for pattern in fw.imports:
            for module, path in imports:
                if _imports_match(module, pattern):
                    rel = _relative(path, root)
                    evidence.append(f"import {module} ({rel})")
                    break
        if evidence:
            out.append(Detection(fw.id, fw.name, tuple(dict.fromkeys(evidence))))
    return out


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def index_imports(index: Any, limit: int = 20000) -> list[tuple[str, str]]:
    """``(module, file)`` of every import the project index holds (bounded)."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path in index.paths():
        summary = index.get(path)
        if summary is None:
            continue
        for imp in summary.imports:
            if imp.module not in seen:
                seen.add(imp.module)
                out.append((imp.module, path))
        if len(out) >= limit:
            break
    return out


class FrameworkDetector:
    """Detections per project root, computed at most every ``ttl`` seconds (context sources
    and completion items ask on every request)."""

    def __init__(self, ttl: float = 10.0, catalog: Catalog | None = None) -> None:
        self.ttl = ttl
        self.catalog = catalog
        self._cache: dict[str, tuple[float, int, list[Detection]]] = {}
        self._lock = threading.Lock()

    def detect(self, root: str | Path, index: Any = None) -> list[Detection]:
        """The frameworks of ``root`` (with the index's imports when an index is given)."""
        key = str(root)
        size = len(index) if index is not None else -1
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and now - entry[0] < self.ttl and entry[1] == size:
                return entry[2]
        imports = index_imports(index) if index is not None else []
        found = detect(Path(root), imports, self.catalog)
        with self._lock:
            self._cache[key] = (now, size, found)
            if len(self._cache) > 64:
                self._cache.pop(next(iter(self._cache)))
        return found

    def ids(self, root: str | Path, index: Any = None) -> set[str]:
        """Ids of the frameworks of ``root``."""
        return {d.id for d in self.detect(root, index)}


_detector = FrameworkDetector()


def default_detector() -> FrameworkDetector:
    """The process-wide detector."""
    return _detector
