"""workspace/executeCommand: ``qwen.modelInfo`` (loaded modules, memory, latencies, cache hit
rates) and ``qwen.acceptSuggestion`` (sent by clients when a suggestion is accepted)."""

from __future__ import annotations

import statistics
from typing import Any

# A real import, not a TYPE_CHECKING one: pygls reads command handlers' annotations at run time
# to structure their arguments.
from ..server import QwenLanguageServer
from .inline_completion import ACCEPT_COMMAND


def _rate(hits: int, lookups: int) -> float | None:
    return round(hits / lookups, 3) if lookups else None


def model_info(ls: QwenLanguageServer) -> dict[str, Any]:
    """What the engine is doing, for the status bar and for people."""
    service = ls.core._completions
    if service is None:
        return {"loaded": [], "note": "no completion requested yet"}
    loaded = []
    for m in service.registry.loaded():
        lat = m.latencies_ms[-50:]
        loaded.append(
            {
                "name": m.name,
                "path": str(m.module.folder),
                "languages": list(m.module.languages),
                "quantization": m.module.quantization,
                "providers": m.session.providers,
                "load_seconds": round(m.load_seconds, 3),
                "model_bytes": m.module.model_path.stat().st_size
                if m.module.model_path.exists()
                else None,
                "kv_cache_bytes": m.prefix_cache.nbytes(),
                "latency_ms_p50": round(statistics.median(lat), 1) if lat else None,
                "last_latencies_ms": [round(x, 1) for x in lat[-10:]],
                "kv_prefix_hit_rate": _rate(
                    m.prefix_cache.stats.hits, m.prefix_cache.stats.lookups
                ),
                "kv_reused_token_share": _rate(
                    m.prefix_cache.stats.reused_tokens, m.prefix_cache.stats.prompt_tokens
                ),
            }
        )
    st = service.stats
    sched = service.scheduler.stats
    return {
        "last": service.last_run,
        "loaded": loaded,
        "requests": st.requests,
        "answered_by": dict(st.by_source),
        "empty": st.empty,
        "syntax_rejected": st.rejected_by_syntax,
        "syntax_truncated": st.truncated_by_syntax,
        "names_rejected": st.rejected_by_names,
        "names_truncated": st.truncated_by_names,
        "repeats_rejected": st.rejected_as_repeat,
        # Model runs again after a rejection, by the check that rejected; and the requests such
        # a run answered.
        "retries": {
            "syntax": st.syntax_retries,
            "names": st.name_retries,
            "repeats": st.repeat_retries,
            "rescued": st.rescued_by_retry,
        },
        "completion_cache_hit_rate": _rate(service.cache.stats.hits, service.cache.stats.lookups),
        "typing_as_suggested_hit_rate": _rate(
            service.memory.stats.hits, service.memory.stats.lookups
        ),
        "accepted": ls.core.accepted,
        "backend": service.hybrid.describe(ls.settings),
        "prompt_tokens_per_s": round(st.prefill_tokens / st.prefill_seconds, 1)
        if st.prefill_seconds
        else None,
        "decode_tokens_per_s": round(st.decode_tokens / st.decode_seconds, 1)
        if st.decode_seconds
        else None,
        "context_sources_skipped": st.context_sources_skipped,
        "waited_for_indent": st.waited_for_indent,
        "scheduler": {
            "jobs": sched.jobs,
            "cancelled": sched.cancelled,
            "batches": sched.batches,
            "mean_batch": round(sched.batched_jobs / sched.batches, 2) if sched.batches else None,
            "max_batch": sched.max_batch,
            # Retries (and other follow-ups) sent by callers the worker waited for after their
            # answer, and callers that neither followed up nor settled in time.
            "follow_ups": sched.follow_ups,
            "follow_ups_expired": sched.follow_ups_expired,
        },
    }


def register(server: QwenLanguageServer) -> None:
    """Register commands."""

    @server.command("qwen.modelInfo")
    def cmd_model_info(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        return model_info(ls)

    @server.command(ACCEPT_COMMAND)
    def cmd_accept(ls: QwenLanguageServer, *args: Any) -> None:
        ls.core.accepted += 1
        service = ls.core._completions
        generation = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        if service is not None:
            service.hybrid.record_accept(generation, ls.settings)
