"""The model registry: which module serves a language, loading it the first time a document of
that language needs it, and unloading it when idle.

Modules come from settings (``models.byLanguage``: a path or an embedded module's name), from
``models.paths`` folders, and from the embedded modules shipped in ``qwen_lsp/models``. A module
that fails to load is remembered with its reason, so the user hears it once and every keystroke
does not retry it; it is retried when its files change.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .module import (
    ModelModule,
    ModuleError,
    ModuleMissingError,
    check_no_external_data,
    load_module,
    verify,
    verify_plaintext,
)
from .prefix_cache import PrefixCache
from .session import DecoderSession, execution_providers
from .tokenizer import ModelTokenizer

log = logging.getLogger(__name__)

EMBEDDED = Path(__file__).resolve().parent.parent / "models"

# (event, module name, detail): "loading", "loaded", "failed", "unloaded".
LoadListener = Callable[[str, str, str], None]
# The key of encrypted modules (raises security.crypto.CryptoError when there is none).
KeySource = Callable[[], bytes]


def _key_tag(key_source: KeySource | None) -> str:
    """Which key is configured now (its id, or why there is none): a failure to decrypt is
    retried when this changes."""
    if key_source is None:
        return "none"
    from ..security.crypto import CryptoError, key_id_hex

    try:
        return key_id_hex(key_source())
    except CryptoError as exc:
        return f"missing: {exc}"


@dataclass
class LoadedModel:
    """A module ready to generate."""

    module: ModelModule
    tokenizer: ModelTokenizer
    session: DecoderSession
    load_seconds: float
    key: str
    last_used: float = field(default_factory=time.monotonic)
    prefix_cache: PrefixCache = field(default_factory=PrefixCache)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The module's name."""
        return self.module.name

    def touch(self) -> None:
        """Mark as used now (for idle unloading)."""
        self.last_used = time.monotonic()


def embedded_modules() -> list[Path]:
    """Module folders shipped inside the package."""
    if not EMBEDDED.is_dir():
        return []
    return sorted(p for p in EMBEDDED.iterdir() if (p / "model.json").is_file())


def _languages_of(folder: Path) -> list[str]:
    try:
        return list(
            json.loads((folder / "model.json").read_text(encoding="utf-8")).get("languages", [])
        )
    except (OSError, ValueError, AttributeError):
        return []


def resolve_source(
    language_id: str, by_language: dict[str, str], extra_paths: list[str]
) -> Path | None:
    """The module path that serves ``language_id``, or None when no module does."""
    choice = by_language.get(language_id)
    if choice:
        candidate = Path(choice).expanduser()
        if candidate.exists() or "/" in choice or choice.endswith(".onnx"):
            return candidate
        embedded = EMBEDDED / choice
        return embedded  # may not exist: the load reports "module not found" clearly
    for root in [*(Path(p).expanduser() for p in extra_paths), EMBEDDED]:
        if not root.is_dir():
            continue
        folders = (
            [root]
            if (root / "model.json").is_file()
            else sorted(p for p in root.iterdir() if p.is_dir())
        )
        for folder in folders:
            if language_id in _languages_of(folder):
                return folder
    return None


class ModelRegistry:
    """Loaded modules, shared by every session of the process."""

    def __init__(self, provider: str = "cpu", threads: int = 0) -> None:
        self.provider = provider
        self.threads = threads
        self._loaded: dict[str, LoadedModel] = {}
        self._failed: dict[str, tuple[float, str, str | None]] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Event] = {}

    @staticmethod
    def _key(path: Path) -> str:
        return str(path.expanduser().resolve())

    def _stamp(self, path: Path) -> float:
        """Latest modification time among the module's files (a change retries a failure)."""
        try:
            if path.is_file():
                return path.stat().st_mtime
            return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)
        except OSError:
            return 0.0

    def failure(self, path: Path, key_source: KeySource | None = None) -> str | None:
        """Why the module at ``path`` could not be loaded (None if it did not fail, or if it
        failed for want of the right key and another key is configured now)."""
        entry = self._failed.get(self._key(path))
        if entry is None:
            return None
        stamp, reason, tag = entry
        if self._stamp(path) != stamp:
            return None
        if tag is not None and _key_tag(key_source) != tag:
            return None
        return reason

    def get(
        self,
        path: Path,
        listener: LoadListener | None = None,
        key_source: KeySource | None = None,
    ) -> LoadedModel:
        """The loaded module at ``path``, loading it now if needed; raises :class:`ModuleError`.
        ``key_source`` gives the key when the module is encrypted."""
        key = self._key(path)
        while True:
            with self._lock:
                model = self._loaded.get(key)
                if model is not None:
                    model.touch()
                    return model
                reason = self.failure(path, key_source)
                if reason is not None:
                    raise ModuleError(reason)
                waiter = self._loading.get(key)
                if waiter is None:
                    self._loading[key] = threading.Event()
                    break
            waiter.wait()
        try:
            model = self._load(path, key, listener, key_source)
            with self._lock:
                self._loaded[key] = model
                self._failed.pop(key, None)
            return model
        except ModuleError as exc:
            tag = _key_tag(key_source) if isinstance(exc, ModuleKeyError) else None
            with self._lock:
                self._failed[key] = (self._stamp(path), str(exc), tag)
            if listener:
                listener("failed", path.name, str(exc))
            raise
        finally:
            with self._lock:
                self._loading.pop(key).set()

    def _load(
        self, path: Path, key: str, listener: LoadListener | None, key_source: KeySource | None
    ) -> LoadedModel:
        started = time.perf_counter()
        if not path.exists():
            raise ModuleMissingError(f"model module not found: {path}")
        module = load_module(path)
        if listener:
            listener("loading", module.name, str(path))
        verify(module)
        model_source: str | bytes
        tokenizer_json: str | None
        if module.encrypted:
            model_source, tokenizer_json = _decrypt_module(module, key_source)
        else:
            model_source, tokenizer_json = str(module.model_path), None
        tokenizer = ModelTokenizer(
            module.tokenizer_path, module.fim, module.stop_tokens, tokenizer_json
        )
        session = DecoderSession(model_source, execution_providers(self.provider), self.threads)
        del model_source  # ONNX Runtime holds its own copy of the weights
        if session.vocab_size is not None and session.vocab_size < tokenizer.vocab_size:
            raise ModuleError(
                f"{module.name}: the tokenizer has {tokenizer.vocab_size} tokens but the model only "
                f"{session.vocab_size}: they do not belong together"
            )
        seconds = time.perf_counter() - started
        log.info(
            "loaded model %s (%s, %s) in %.2f s",
            module.name,
            module.quantization,
            ", ".join(session.providers),
            seconds,
        )
        if listener:
            listener("loaded", module.name, f"{seconds:.2f} s")
        return LoadedModel(module, tokenizer, session, seconds, key)

    def loaded(self) -> list[LoadedModel]:
        """Modules in memory."""
        with self._lock:
            return list(self._loaded.values())

    def unload_idle(self, idle_seconds: float) -> list[str]:
        """Unload modules unused for ``idle_seconds`` (0 disables); returns their names."""
        if idle_seconds <= 0:
            return []
        now = time.monotonic()
        with self._lock:
            idle = [k for k, m in self._loaded.items() if now - m.last_used > idle_seconds]
            names = [self._loaded.pop(k).name for k in idle]
        for name in names:
            log.info("unloaded idle model %s", name)
        return names

    def unload_all(self) -> None:
        """Drop every module (shutdown, settings change)."""
        with self._lock:
            self._loaded.clear()
            self._failed.clear()


class ModuleKeyError(ModuleError):
    """An encrypted module cannot be opened: no key, a wrong key, or a damaged file."""


def _decrypt_module(module: ModelModule, key_source: KeySource | None) -> tuple[bytes, str]:
    """The model bytes and tokenizer JSON of an encrypted module, decrypted in memory only."""
    from ..security.crypto import CryptoError, KeyFormatError, KeyMissingError, WrongKeyError

    what = f"{module.name} is encrypted"
    if key_source is None:
        raise ModuleKeyError(f"{what} and no key is configured")
    try:
        key = key_source()
    except (KeyMissingError, KeyFormatError) as exc:
        raise ModuleKeyError(f"{what}: {exc}") from exc
    from ..security.crypto import decrypt_bytes

    plain: dict[str, bytes] = {}
    for target in (module.model_path, module.tokenizer_path):
        rel = target.relative_to(module.folder.resolve()).as_posix()
        stored = module.stored_path(rel)
        try:
            plain[rel] = decrypt_bytes(stored.read_bytes(), key, rel, stored.name)
        except WrongKeyError as exc:
            raise ModuleKeyError(
                f"{module.name}: {exc} (check qwenLsp.models.keyFile/keyEnv)"
            ) from exc
        except CryptoError as exc:
            raise ModuleKeyError(f"{module.name}: {exc}") from exc
        except OSError as exc:
            raise ModuleKeyError(f"{module.name}: cannot read {stored.name}: {exc}") from exc
        verify_plaintext(module, rel, plain[rel])
    model_rel = module.model_path.relative_to(module.folder.resolve()).as_posix()
    tok_rel = module.tokenizer_path.relative_to(module.folder.resolve()).as_posix()
    check_no_external_data(plain[model_rel], f"{module.name}/{model_rel}")
    try:
        tokenizer_json = plain[tok_rel].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModuleKeyError(f"{module.name}: decrypted {tok_rel} is not UTF-8 text") from exc
    return plain[model_rel], tokenizer_json
