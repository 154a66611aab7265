"""Hybrid mode and the audit trail of the completion service.

Per request: the remote backend (``engine/remote.py``) when it is enabled, the document may be
sent, and its circuit breaker lets requests through; the local model otherwise, and whenever
the remote fails (the same request falls back within its budget). What is sent is built from
the same prompt parts as the local prompt, with secrets redacted and excluded files dropped
(``security/redact.py``); the remote's text then goes through the same stop rule,
post-processing and syntax check as the local model's (``CompletionService.finish``).

Every generation (local or remote) is appended to the audit log when ``auditLog`` is set
(``security/audit.py``); an "accepted" line follows when the client reports the suggestion
accepted (``qwen.acceptSuggestion``).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.generate import GenerationResult
from ..engine.prompt import PromptParts, Snippet
from ..engine.remote import RemoteBackend, RemoteConfig, RemoteError, RemoteRequest, prompt_text
from ..security.audit import AuditLog, sha256_hex
from ..security.redact import ContextPolicy, redact

if TYPE_CHECKING:
    import httpx

    from ..config import RemoteSettings, Settings
    from .service import CompletionQuery, Prepared

log = logging.getLogger(__name__)


class Hybrid:
    """Routing between the remote and the local model, redaction, and the audit log."""

    def __init__(self) -> None:
        self.backend: RemoteBackend | None = None
        self._config: RemoteConfig | None = None
        self._policies: dict[tuple[str, tuple[str, ...]], ContextPolicy] = {}
        self._audit: AuditLog | None = None
        self._audit_conf: tuple[str, int, int] | None = None
        self._generations: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.remote_answers = 0
        self.fallbacks = 0
        self.excluded_documents = 0
        self.dropped_snippets = 0
        self.redactions = 0
        self.audit_errors = 0

    # -- configuration -----------------------------------------------------------------------

    def configure(self, settings: RemoteSettings) -> RemoteBackend | None:
        """The remote backend for these settings (None when off); a new one when they change."""
        if not settings.enable or not settings.url:
            return None
        config = RemoteConfig(
            url=settings.url,
            api=settings.api,
            model=settings.model,
            api_key=os.environ.get(settings.apiKeyEnv, "") if settings.apiKeyEnv else "",
            timeout=settings.timeoutMs / 1000,
            connect_timeout=settings.connectTimeoutMs / 1000,
            cooldown=float(settings.cooldownSeconds),
        )
        with self._lock:
            if config != self._config or self.backend is None:
                if self.backend is None:
                    # detect-secrets loads its plugins on first use (~0.5 s): not on a keystroke.
                    threading.Thread(target=redact, args=("x = 1",), daemon=True).start()
                self.backend = RemoteBackend(config)
                self._config = config
            return self.backend

    def policy(self, root: str, exclude: list[str]) -> ContextPolicy:
        """The context policy of a workspace root (cached)."""
        key = (root, tuple(exclude))
        with self._lock:
            policy = self._policies.get(key)
            if policy is None:
                if len(self._policies) > 64:
                    self._policies.clear()
                policy = self._policies[key] = ContextPolicy(root or None, exclude)
            return policy

    def _policy_for(self, query: CompletionQuery) -> ContextPolicy:
        root = query.root or (str(Path(query.path).parent) if query.path else "")
        return self.policy(root, query.settings.index.exclude)

    # -- routing -----------------------------------------------------------------------------

    def route(self, query: CompletionQuery) -> str:
        """``remote`` or ``local`` for this request (before anything is sent)."""
        backend = self.configure(query.settings.remote)
        if backend is None:
            return "local"
        if query.path and not self._policy_for(query).allowed(query.path, must_exist=False):
            self.excluded_documents += 1
            log.debug("%s is excluded from the remote: the local model answers", query.path)
            return "local"
        return "remote" if backend.breaker.available() else "local"

    def request(self, prepared: Prepared) -> RemoteRequest:
        """What is sent for ``prepared``: redacted text, allowed snippets only."""
        query = prepared.query
        settings = query.settings
        parts = prepared.parts or PromptParts("")
        policy = self._policy_for(query)
        snippets: list[Snippet] = []
        for snippet in parts.snippets:
            if policy.allowed(snippet.path, must_exist=True):
                cleaned = redact(snippet.text)
                self.redactions += cleaned.count
                snippets.append(Snippet(snippet.path, cleaned.text, snippet.source))
            else:
                self.dropped_snippets += 1
        prefix, suffix = redact(parts.prefix), redact(parts.suffix)
        self.redactions += prefix.count + suffix.count
        module = prepared.model.module
        sent = PromptParts(prefix.text, suffix.text, parts.path, tuple(snippets))
        stops = [module.fim.eos, *module.stop_tokens]
        if not prepared.plan.multiline:
            stops.append("\n")
        completion = settings.completion
        return RemoteRequest(
            prompt=prompt_text(module.fim, sent, settings.remote.fimOrder),
            prefix=sent.prefix,
            suffix=sent.suffix,
            extra=[(sn.path, sn.text) for sn in snippets],
            max_tokens=completion.maxTokens,
            temperature=completion.temperature,
            top_p=completion.topP,
            seed=completion.seed,
            stop_strings=list(dict.fromkeys(s for s in stops if s)),
            stop=prepared.plan.stopper(),
        )

    async def run(
        self, prepared: Prepared, client: httpx.AsyncClient | None = None
    ) -> GenerationResult | None:
        """The remote's answer for ``prepared``, or None: the local model must answer."""
        backend = self.backend
        if backend is None or not backend.breaker.allow():
            return None
        request = self.request(prepared)
        try:
            answer = await backend.complete(request, client)
        except RemoteError as exc:
            self.fallbacks += 1
            log.info("remote %s failed (%s): the local model answers", backend.config.url, exc)
            return None
        self.remote_answers += 1
        prepared.backend = "remote"
        prepared.sent_sha256 = sha256_hex(request.sent_text(backend.config))
        prepared.remote_ms = answer.seconds * 1000
        return GenerationResult(
            [], answer.text, answer.finish_reason, len(prepared.prompt.ids), 0, 0.0, 0.0, 1
        )

    # -- what the user sees ----------------------------------------------------------------------

    def status(self, settings: Settings) -> tuple[str, str, bool] | None:
        """``(key, message, is_warning)`` saying which backend serves; None when the remote is
        off or not tried yet. The key changes exactly when the message should be shown again."""
        backend = self.configure(settings.remote)
        if backend is None:
            return None
        url = backend.config.url
        if backend.breaker.failures:
            return (
                f"local:{url}",
                f"qwen-lsp: the remote server {url} is not answering ({backend.breaker.last_error}); "
                f"completions come from the local model (retrying in "
                f"{backend.breaker.retry_in():.0f} s)",
                True,
            )
        if backend.breaker.successes:
            return (
                f"remote:{url}",
                f"qwen-lsp: completions come from the remote server {url}",
                False,
            )
        return None

    def describe(self, settings: Settings | None) -> dict[str, Any]:
        """The hybrid state for ``qwen.modelInfo``."""
        backend = self.configure(settings.remote) if settings is not None else self.backend
        serving = "local"
        if backend is not None and not backend.breaker.failures:
            serving = "remote"
        return {
            "serving": serving,
            "remote": backend.describe() if backend is not None else None,
            "remote_answers": self.remote_answers,
            "fallbacks_to_local": self.fallbacks,
            "excluded_documents": self.excluded_documents,
            "dropped_snippets": self.dropped_snippets,
            "redactions": self.redactions,
        }

    # -- the audit log -----------------------------------------------------------------------

    def audit_log(self, settings: Settings) -> AuditLog | None:
        """The audit log the settings name (None when off)."""
        conf = (settings.auditLog, settings.auditLogMaxBytes, settings.auditLogKeep)
        with self._lock:
            if conf != self._audit_conf:
                self._audit_conf = conf
                self._audit = None
                if settings.auditLog:
                    path = Path(settings.auditLog).expanduser()
                    if path.is_absolute():
                        self._audit = AuditLog(path, conf[1], conf[2])
                    else:
                        log.error("auditLog must be an absolute path, not %r: not logging", path)
            return self._audit

    def record(self, prepared: Prepared, text: str | None, result: GenerationResult) -> str:
        """Append the generation to the audit log; returns its id."""
        gen_id = uuid.uuid4().hex
        query = prepared.query
        audit = self.audit_log(query.settings)
        module = prepared.model.module
        remote = prepared.backend == "remote" and self.backend is not None
        with self._lock:
            self._generations[gen_id] = {"document": query.uri, "backend": prepared.backend}
            while len(self._generations) > 2048:
                self._generations.popitem(last=False)
        if audit is None:
            return gen_id
        line = prepared.text.count("\n", 0, prepared.cursor)
        character = prepared.cursor - (prepared.text.rfind("\n", 0, prepared.cursor) + 1)
        position = {"line": line, "character": character}
        if remote:
            assert self.backend is not None
            model_name = self.backend.config.model or "remote"
            model_hash = None
            prompt_hash = prepared.sent_sha256
        else:
            parts = prepared.parts or PromptParts("")
            model_name = module.name
            entry = module.files.get(module.model_path.name, {})
            model_hash = entry.get("sha256")
            prompt_hash = sha256_hex(prompt_text(module.fim, parts, prepared.prompt.order))
        record = {
            "event": "generation",
            "id": gen_id,
            "document": query.uri,
            "range": {"start": position, "end": position},
            "backend": prepared.backend,
            "endpoint": self.backend.config.url if remote and self.backend else None,
            "model": model_name,
            "model_sha256": model_hash,
            "prompt_sha256": prompt_hash,
            "output_sha256": sha256_hex(text or ""),
            "shown": text is not None,
            "finish_reason": result.finish_reason,
            "accepted": None,
        }
        self._append(audit, record)
        return gen_id

    def record_accept(self, gen_id: str, settings: Settings) -> None:
        """The client accepted the suggestion ``gen_id``: append an ``accepted`` line."""
        audit = self.audit_log(settings)
        if audit is None:
            return
        with self._lock:
            known = self._generations.get(gen_id, {})
        self._append(
            audit,
            {
                "event": "accepted",
                "id": gen_id or None,
                "document": known.get("document"),
                "backend": known.get("backend"),
                "accepted": True,
            },
        )

    def _append(self, audit: AuditLog, record: dict[str, Any]) -> None:
        try:
            audit.append(record)
        except OSError as exc:
            self.audit_errors += 1
            log.error("cannot append to the audit log %s: %s", audit.path, exc)
