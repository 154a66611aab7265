"""LSP features: one module per feature area, each with a ``register(server)`` function.

Handlers are thin: convert LSP types, call the core, check cancellation and document version,
answer. Logic that grows past a screen belongs below this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import QwenLanguageServer


def register_all(server: QwenLanguageServer) -> None:
    """Register every feature on a new session."""
    from . import (
        code_actions,
        commands,
        compat,
        conversion,
        debug,
        diagnostics,
        documents,
        explain_log,
        frameworks,
        inline_completion,
        lifecycle,
        model_fix,
        navigation,
        symbols,
        testgen,
    )

    # compat first: it adjusts how messages are structured, before any handler sees one.
    for module in (
        compat,
        lifecycle,
        documents,
        diagnostics,
        code_actions,
        symbols,
        navigation,
        inline_completion,
        commands,
        explain_log,
        model_fix,
        frameworks,
        testgen,
        conversion,
        debug,
    ):
        module.register(server)
