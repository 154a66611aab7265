"""Settings: one typed tree, validated once, with defaults in one place.

Sources are merged in order: defaults < user file (``~/.config/qwen-lsp/settings.json``) <
``initializationOptions`` < ``workspace/configuration`` (section ``qwenLsp``). Keys are the
camelCase names clients use, nested (``{"completion": {"maxTokens": 64}}``) or dotted
(``{"completion.maxTokens": 64}``), optionally under a top-level ``qwenLsp`` key.

A bad value is reported (the caller shows it once) and its default is used; the rest of the
settings still apply. The same definitions generate the README table and the VS Code
extension's ``contributes.configuration`` (``qwen-lsp settings --format vscode``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import platformdirs

SECTION = "qwenLsp"


def setting(
    default: Any,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare one setting: its default, its documentation and its constraints."""
    meta = {"doc": doc, "minimum": minimum, "maximum": maximum, "choices": choices}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class CompletionSettings:
    """Inline completions (ghost text) and the completion fallback."""

    enable: bool = setting(True, "Serve inline completions from the local model.")
    maxTokens: int = setting(
        64, "Most tokens generated for one suggestion.", minimum=1, maximum=512
    )
    temperature: float = setting(
        0.0, "Sampling temperature; 0 is greedy (deterministic).", minimum=0.0, maximum=2.0
    )
    topP: float = setting(
        0.95, "Nucleus sampling mass when temperature > 0.", minimum=0.05, maximum=1.0
    )
    seed: int = setting(0, "Random seed for sampling (same seed, same suggestion).", minimum=0)
    contextTokens: int = setting(
        1536, "Prompt token budget (prefix + suffix + cross-file).", minimum=64, maximum=32768
    )
    suffixShare: float = setting(
        0.2, "Share of the budget given to text after the cursor.", minimum=0.0, maximum=0.8
    )
    crossFile: bool = setting(
        True, "Add definitions and similar code from other files to the prompt."
    )
    crossFileTokens: int = setting(
        384, "Token budget of cross-file context.", minimum=0, maximum=8192
    )
    contextTimeMs: int = setting(
        30,
        "Time budget shared by the context sources; a slow source is skipped.",
        minimum=1,
        maximum=1000,
    )
    multiline: str = setting(
        "auto",
        "Multi-line suggestions: auto (from the syntax at the cursor), always or never.",
        choices=("auto", "always", "never"),
    )
    fimOrder: str = setting(
        "auto",
        "Prompt order: auto (the module's best), psm, spm or prefix_only.",
        choices=("auto", "psm", "spm", "prefix_only"),
    )
    maxLines: int = setting(12, "Most lines in a multi-line suggestion.", minimum=1, maximum=200)
    waitForIndent: bool = setting(
        True,
        "No suggestion while spaces are being typed towards the block's indentation (the "
        "cursor right after typed spaces, short of the file's indentation step); it comes at "
        "the next step.",
    )
    syntaxCheck: bool = setting(True, "Reject or trim suggestions that add syntax errors.")
    nameCheck: bool = setting(
        True,
        "Reject or trim suggestions that read a name nothing in scope binds (an invented "
        "helper, a misspelt variable, a module never imported), for languages whose "
        "diagnostics have an undefined-name rule (Python: QL101).",
    )
    syntaxRetries: int = setting(
        2,
        "When the syntax check, the name check or the repeat check (a first line that is the "
        "line below the cursor) rejects a suggestion, decode again this many times from the "
        "model's next most likely first token (0: no retries).",
        minimum=0,
        maximum=8,
    )
    minChars: int = setting(
        2, "Drop suggestions shorter than this (after trimming).", minimum=0, maximum=100
    )
    cacheSize: int = setting(256, "Entries in the completion cache.", minimum=0, maximum=100000)
    debounceMs: int = setting(
        0,
        "Server-side wait before decoding; a newer request for the document cancels it.",
        minimum=0,
        maximum=2000,
    )
    batchWaitMs: int = setting(
        2, "How long the scheduler waits to batch requests together.", minimum=0, maximum=100
    )


@dataclass
class ModelSettings:
    """Model modules and how they run."""

    byLanguage: dict[str, str] = setting(
        {},
        "Module per language id: a module folder, a hub-layout folder, an .onnx file, "
        "or the name of an embedded module.",
    )
    paths: list[str] = setting([], "Extra folders searched for model modules.")
    idleUnloadSeconds: int = setting(
        600, "Unload a module after this many seconds unused (0: never).", minimum=0
    )
    executionProvider: str = setting(
        "cpu", "ONNX Runtime execution provider.", choices=("cpu", "cuda", "auto")
    )
    threads: int = setting(
        0, "Intra-op threads for ONNX Runtime (0: one per physical core).", minimum=0, maximum=256
    )
    keyEnv: str = setting(
        "QWEN_LSP_MODEL_KEY",
        "Environment variable holding the key of encrypted modules and of the encrypted index "
        "cache (64 hex digits or base64 of 32 bytes).",
    )
    keyFile: str = setting(
        "",
        "File holding the key (used instead of keyEnv when set); refused inside the workspace.",
    )


@dataclass
class DiagnosticSettings:
    """Diagnostics and their fixes."""

    enable: bool = setting(True, "Publish diagnostics.")
    syntax: bool = setting(True, "Report syntax errors found by tree-sitter.")
    disabled: list[str] = setting([], 'Rule ids to turn off, e.g. ["QL101"].')
    performanceHints: bool = setting(True, "Report performance hints.")
    debounceMs: int = setting(
        150, "Wait after the last change before checking.", minimum=0, maximum=5000
    )


@dataclass
class IndexSettings:
    """The project-wide index."""

    enable: bool = setting(True, "Index the workspace in the background.")
    maxFileBytes: int = setting(
        1_000_000, "Skip files larger than this many bytes.", minimum=1024, maximum=100_000_000
    )
    exclude: list[str] = setting([], "Extra gitignore-style patterns to skip.")
    workers: int = setting(
        0, "Processes for the first indexing (0: one per core, at most 4).", minimum=0, maximum=64
    )
    cacheDir: str = setting("", "Folder of the on-disk index cache (empty: the user cache folder).")


@dataclass
class RemoteSettings:
    """Forwarding to an OpenAI-compatible or llama.cpp server (off by default)."""

    enable: bool = setting(False, "Send completion requests to a remote server.")
    url: str = setting("", "Base URL, e.g. http://127.0.0.1:8080.")
    api: str = setting("openai", "Protocol of the server.", choices=("openai", "llamacpp"))
    model: str = setting("", "Model name sent to an OpenAI-compatible server.")
    apiKeyEnv: str = setting("QWEN_LSP_REMOTE_KEY", "Environment variable holding the API key.")
    timeoutMs: int = setting(
        1500,
        "Give up on the remote after this long (the local model answers instead).",
        minimum=50,
        maximum=60000,
    )
    connectTimeoutMs: int = setting(
        300, "Give up connecting to the remote after this long.", minimum=10, maximum=60000
    )
    cooldownSeconds: int = setting(
        30,
        "A failing remote is put aside this long (doubling while it keeps failing, up to 4x).",
        minimum=1,
        maximum=3600,
    )
    fimOrder: str = setting(
        "psm",
        "Prompt order sent to an OpenAI-compatible remote (psm is Qwen2.5-Coder's).",
        choices=("psm", "spm", "prefix_only"),
    )


@dataclass
class Settings:
    """All settings of qwen-lsp."""

    completion: CompletionSettings = field(default_factory=CompletionSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    diagnostics: DiagnosticSettings = field(default_factory=DiagnosticSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    maxParseBytes: int = setting(
        8_000_000,
        "Documents larger than this are not parsed (syntax features off).",
        minimum=1024,
        maximum=1_000_000_000,
    )
    maxMessageBytes: int = setting(
        64 * 1024 * 1024,
        "Largest LSP message read (bytes). A larger one is skipped before its body is read: a "
        "request is answered InvalidRequest, a skipped didOpen/didChange drops that document. "
        "Applies from initialize on (over WebSocket, frames over 64 MiB close the connection).",
        minimum=65536,
        maximum=1 << 30,
    )
    auditLog: str = setting(
        "",
        "Append every generation to this hash-chained JSON-lines file (an absolute path; "
        "check it with qwen-lsp audit verify FILE).",
    )
    auditLogMaxBytes: int = setting(
        10_000_000,
        "Rotate the audit log past this size (FILE.1, FILE.2, ...; the chain continues; 0: never).",
        minimum=0,
    )
    auditLogKeep: int = setting(0, "Rotated audit files kept (0: all).", minimum=0, maximum=100000)
    logLevel: str = setting(
        "info", "Server log level.", choices=("debug", "info", "warning", "error")
    )


# -- merging and validation -------------------------------------------------------------


def _flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not _is_dict_setting(name):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _fields(cls: type) -> dict[str, tuple[dataclasses.Field[Any], Any]]:
    hints = get_type_hints(cls)
    return {f.name: (f, hints[f.name]) for f in dataclasses.fields(cls)}


def _is_dict_setting(dotted: str) -> bool:
    cls: type = Settings
    for part in dotted.split("."):
        fields = _fields(cls)
        if part not in fields:
            return False
        _f, hint = fields[part]
        if dataclasses.is_dataclass(hint):
            cls = hint  # type: ignore[assignment]
            continue
        return get_origin(hint) is dict
    return False


def _coerce(name: str, value: Any, f: dataclasses.Field[Any], hint: Any) -> Any:
    """Validate one value against its declaration; raise ValueError with a clear message."""
    meta = f.metadata
    origin = get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{name} must be true or false, not {value!r}")
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, not {value!r}")
        if hint is int and float(value) != int(value):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
        value = hint(value)
        lo, hi = meta.get("minimum"), meta.get("maximum")
        if lo is not None and value < lo:
            raise ValueError(f"{name} must be at least {lo}, not {value}")
        if hi is not None and value > hi:
            raise ValueError(f"{name} must be at most {hi}, not {value}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, not {value!r}")
        choices = meta.get("choices")
        if choices and value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return value
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise ValueError(f"{name} must be a list of {item.__name__}, not {value!r}")
        return list(value)
    if origin is dict:
        _k, item = get_args(hint)
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, item) for k, v in value.items()
        ):
            raise ValueError(f"{name} must be an object of {item.__name__} values, not {value!r}")
        return dict(value)
    raise ValueError(f"{name}: unsupported setting type {hint}")


def _apply(target: Any, dotted: str, value: Any, errors: list[str]) -> None:
    parts = dotted.split(".")
    obj = target
    for i, part in enumerate(parts):
        fields = _fields(type(obj))
        if part not in fields:
            errors.append(f"unknown setting {SECTION}.{dotted}")
            return
        f, hint = fields[part]
        if dataclasses.is_dataclass(hint):
            if i == len(parts) - 1:
                errors.append(f"{SECTION}.{dotted} must be an object")
                return
            obj = getattr(obj, part)
            continue
        if i != len(parts) - 1:
            errors.append(f"unknown setting {SECTION}.{dotted}")
            return
        try:
            setattr(obj, part, _coerce(f"{SECTION}.{dotted}", value, f, hint))
        except ValueError as exc:
            errors.append(f"{exc}; using the default")
        return


def merge(base: Settings, *sources: Any) -> tuple[Settings, list[str]]:
    """Apply each source (dicts; None is skipped) over a copy of ``base``.

    Returns the merged settings and the list of problems found (one line each).
    """
    result = _copy(base)
    errors: list[str] = []
    for raw in sources:
        if raw is None:
            continue
        if not isinstance(raw, dict):
            errors.append(f"settings must be an object, not {type(raw).__name__}; ignored")
            continue
        if SECTION in raw and isinstance(raw[SECTION], dict):
            raw = raw[SECTION]
        for dotted, value in _flatten(raw).items():
            if dotted.startswith(SECTION + "."):
                dotted = dotted[len(SECTION) + 1 :]
            if value is None:
                continue
            _apply(result, dotted, value, errors)
    return result, errors


def _copy(settings: Settings) -> Settings:
    return json_to_settings(settings_to_json(settings))


def settings_to_json(settings: Settings) -> dict[str, Any]:
    """Settings as plain JSON data."""
    return dataclasses.asdict(settings)


def json_to_settings(data: dict[str, Any]) -> Settings:
    """Inverse of :func:`settings_to_json` (trusted input)."""
    result = Settings()
    for dotted, value in _flatten(data).items():
        _apply(result, dotted, value, [])
    return result


def user_settings_path() -> Path:
    """The user settings file (``QWEN_LSP_CONFIG`` overrides it)."""
    override = os.environ.get("QWEN_LSP_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("qwen-lsp")) / "settings.json"


def load_user_settings() -> tuple[dict[str, Any] | None, list[str]]:
    """Read the user settings file if present."""
    path = user_settings_path()
    if not path.is_file():
        return None, []
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except (OSError, ValueError) as exc:
        return None, [f"cannot read {path}: {exc}; ignored"]


# -- documentation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingDoc:
    """One setting as documentation sees it."""

    key: str
    type: str
    default: Any
    doc: str
    minimum: float | None
    maximum: float | None
    choices: tuple[str, ...] | None


def describe(cls: type = Settings, prefix: str = "") -> list[SettingDoc]:
    """Every setting, depth first, with its metadata."""
    out: list[SettingDoc] = []
    instance = cls()
    for name, (f, hint) in _fields(cls).items():
        key = f"{prefix}{name}"
        if dataclasses.is_dataclass(hint):
            out.extend(describe(hint, key + "."))  # type: ignore[arg-type]
            continue
        origin = get_origin(hint)
        kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(hint)
        if origin is list:
            kind = "array"
        elif origin is dict:
            kind = "object"
        out.append(
            SettingDoc(
                key,
                kind or "string",
                getattr(instance, name),
                f.metadata.get("doc", ""),
                f.metadata.get("minimum"),
                f.metadata.get("maximum"),
                f.metadata.get("choices"),
            )
        )
    return out


def markdown_table() -> str:
    """The README's settings table."""
    rows = ["| Setting | Type | Default | Description |", "|---|---|---|---|"]
    for s in describe():
        extra = ""
        if s.choices:
            extra = f" One of: {', '.join(f'`{c}`' for c in s.choices)}."
        elif s.minimum is not None or s.maximum is not None:
            extra = f" Range: {s.minimum if s.minimum is not None else ''}..{s.maximum if s.maximum is not None else ''}."
        default = json.dumps(s.default)
        rows.append(f"| `{SECTION}.{s.key}` | {s.type} | `{default}` | {s.doc}{extra} |")
    return "\n".join(rows)


def vscode_configuration() -> dict[str, Any]:
    """The VS Code extension's ``contributes.configuration`` block."""
    props: dict[str, Any] = {}
    for s in describe():
        prop: dict[str, Any] = {"type": s.type, "default": s.default, "description": s.doc}
        if s.choices:
            prop["enum"] = list(s.choices)
        if s.minimum is not None:
            prop["minimum"] = s.minimum
        if s.maximum is not None:
            prop["maximum"] = s.maximum
        if s.type == "array":
            prop["items"] = {"type": "string"}
        if s.type == "object":
            prop["additionalProperties"] = {"type": "string"}
        props[f"{SECTION}.{s.key}"] = prop
    return {"title": "qwen-lsp", "properties": props}
