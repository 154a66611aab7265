"""Python code behind the query rules of each language: custom predicates, context filters,
fix writers and analyzers, registered by name and referenced from the rule files'
headers (``grammars/<language>/rules/*.scm``)."""

from __future__ import annotations

from . import c, common, go, java, javascript, python, rust  # noqa: F401 - registration
