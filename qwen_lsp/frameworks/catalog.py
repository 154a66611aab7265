"""The framework catalogue: ``templates/<framework>/framework.toml`` and ``snippets.toml``.

Framework knowledge is data: detection signals, which project files are completion context for
which edited files, the variables snippets fill in from the project, and the snippets
themselves. See ``templates/README.md`` for the format.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

log = logging.getLogger(__name__)


def templates_root() -> Path:
    """Folder holding ``<framework>/framework.toml`` folders.

    An installed wheel carries it as ``qwen_lsp/templates``; a source checkout has it at the
    repository root. ``QWEN_LSP_TEMPLATES`` overrides both.
    """
    override = os.environ.get("QWEN_LSP_TEMPLATES")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent.parent
    packaged = here / "templates"
    if packaged.is_dir():
        return packaged
    return here.parent / "templates"


@dataclass(frozen=True)
class ContextRule:
    """Project files offered to the prompt while editing matching files."""

    provider: str
    when: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class SnippetTemplate:
    """One snippet completion item, before its variables are filled."""

    framework: str
    prefix: str
    label: str
    body: str
    description: str = ""
    files: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    """What the catalogue knows about one framework."""

    id: str
    name: str
    languages: tuple[str, ...]
    dependencies: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    context: tuple[ContextRule, ...] = ()
    variables: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    snippets: tuple[SnippetTemplate, ...] = ()

    @classmethod
    def from_folder(cls, folder: Path) -> Framework:
        """Read ``framework.toml`` (and ``snippets.toml`` when present) of ``folder``."""
        raw = tomllib.loads((folder / "framework.toml").read_text(encoding="utf-8"))
        detect = raw.get("detect", {})
        languages = tuple(str(x) for x in raw.get("languages", ()))
        snippets: list[SnippetTemplate] = []
        snippet_file = folder / "snippets.toml"
        if snippet_file.is_file():
            data = tomllib.loads(snippet_file.read_text(encoding="utf-8"))
            for item in data.get("snippet", []):
                snippets.append(
                    SnippetTemplate(
                        framework=str(raw["id"]),
                        prefix=str(item["prefix"]),
                        label=str(item.get("label", item["prefix"])),
                        body=str(item["body"]).strip("\n"),
                        description=str(item.get("description", "")),
                        files=tuple(str(x) for x in item.get("files", ())),
                        languages=tuple(str(x) for x in item.get("languages", languages)),
                    )
                )
        context = tuple(
            ContextRule(
                str(rule["provider"]),
                tuple(str(x) for x in rule.get("when", ())),
                {k: v for k, v in rule.items() if k not in ("provider", "when")},
            )
            for rule in raw.get("context", [])
        )
        return cls(
            id=str(raw["id"]),
            name=str(raw.get("name", raw["id"])),
            languages=languages,
            dependencies=tuple(str(x).lower() for x in detect.get("dependencies", ())),
            imports=tuple(str(x) for x in detect.get("imports", ())),
            files=tuple(str(x) for x in detect.get("files", ())),
            context=context,
            variables={str(k): dict(v) for k, v in raw.get("variables", {}).items()},
            snippets=tuple(snippets),
        )


class Catalog:
    """Every framework folder under a templates root."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or templates_root()
        self.frameworks: dict[str, Framework] = {}
        self.errors: list[str] = []
        folders = sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []
        for folder in folders:
            if not (folder / "framework.toml").is_file():
                continue
            try:
                framework = Framework.from_folder(folder)
            except (OSError, KeyError, TypeError, ValueError) as exc:
                self.errors.append(f"{folder}: {exc}")
                log.error("skipping framework folder %s: %s", folder, exc)
                continue
            self.frameworks[framework.id] = framework

    def __iter__(self):
        return iter(self.frameworks.values())

    def get(self, framework_id: str) -> Framework | None:
        """The framework with this id."""
        return self.frameworks.get(framework_id)


_default: Catalog | None = None
_lock = threading.Lock()


def default_catalog() -> Catalog:
    """The process-wide catalogue over :func:`templates_root` (read once)."""
    global _default
    with _lock:
        if _default is None:
            _default = Catalog()
        return _default
