"""Python rules: the scope model (:mod:`.scopes`), correctness rules (:mod:`.rules`),
performance hints (:mod:`.perf`); query rules for Python live in ``grammars/python/rules``."""

from __future__ import annotations

from collections.abc import Callable

from ..base import FileContext
from ..findings import Finding
from . import perf, rules  # noqa: F401 - registering their hooks is the point
from .scopes import Binding, Walker


def analyze_python(ctx: FileContext, wanted: Callable[[str], bool]) -> list[Finding]:
    """Every Python-rule finding of the file (the engine filters by ``wanted``)."""
    del wanted  # all rules run: cached chunk results must not depend on settings
    walker = Walker(ctx)
    module = walker.walk_module()
    for name in walker.module_globals:
        module.bindings.setdefault(name, []).append(Binding(name, "global", None, module))
    walker.unresolved = walker.resolve(module)
    walker.end_scope(module)
    return walker.findings[0]
