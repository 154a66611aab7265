"""Model modules: a folder with ``model.json`` (docs/model-module.md), a Hugging Face hub-layout
folder (``config.json``, ``tokenizer.json``, ``onnx/model*.onnx``; manifest inferred), or a single
``.onnx`` file with a ``tokenizer.json`` beside it.

Before a module is used, every file is checked against the manifest's SHA-256, and the ONNX
graph's external-data locations must stay inside the module folder (the path-traversal class of
CVE-2022-25882).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ModuleError(Exception):
    """A model module cannot be used; the message says why and what to do."""


class ModuleMissingError(ModuleError):
    """The module path does not exist or holds no model."""


class ModuleCorruptError(ModuleError):
    """A file is missing, truncated, tampered with, or unreadable."""


class ModuleIncompatibleError(ModuleError):
    """The graph or tokenizer does not follow the decoder layout the engine speaks."""


class ModuleUnsafeError(ModuleError):
    """The module refers to files outside its folder."""


QWEN_SPECIALS = {
    "prefix": "<|fim_prefix|>",
    "suffix": "<|fim_suffix|>",
    "middle": "<|fim_middle|>",
    "file_sep": "<|file_sep|>",
    "eos": "<|endoftext|>",
}
_HUB_ONNX_NAMES = (
    "model.onnx",
    "model_quantized.onnx",
    "model_int8.onnx",
    "model_q4.onnx",
    "model_q4f16.onnx",
    "model_uint8.onnx",
    "model_fp16.onnx",
)


@dataclass(frozen=True)
class FimTokens:
    """Special tokens for fill-in-the-middle prompts (strings, as in the tokenizer)."""

    prefix: str = QWEN_SPECIALS["prefix"]
    suffix: str = QWEN_SPECIALS["suffix"]
    middle: str = QWEN_SPECIALS["middle"]
    file_sep: str = QWEN_SPECIALS["file_sep"]
    eos: str = QWEN_SPECIALS["eos"]
    orders: tuple[str, ...] = ("psm",)


@dataclass(frozen=True)
class ModelModule:
    """A model module's manifest, resolved to absolute paths."""

    folder: Path
    name: str
    languages: tuple[str, ...]
    model_path: Path
    tokenizer_path: Path
    fim: FimTokens
    architecture: str = "qwen2"
    context_length: int = 2048
    stop_tokens: tuple[str, ...] = ()
    quantization: str = "unknown"
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: str = ""
    description: str = ""
    inferred: bool = False
    # Encrypted modules (docs/model-module.md "Encrypted modules"): the manifest's
    # ``encryption`` object; files then lie on disk as their ``stored_as`` name.
    encryption: dict[str, Any] = field(default_factory=dict)

    @property
    def encrypted(self) -> bool:
        """Whether the module's files are encrypted at rest."""
        return bool(self.encryption)

    def stored_path(self, rel: str) -> Path:
        """Where the manifest file ``rel`` lies on disk (its encrypted form if it has one)."""
        entry = self.files.get(rel, {})
        return _safe_child(self.folder, str(entry.get("stored_as") or rel), "manifest file")

    def digest(self) -> str:
        """A short identity of the module's weights (its manifest hash of the model file)."""
        entry = self.files.get(self.model_path.name, {})
        return str(entry.get("sha256", ""))[:16] or "unverified"


def _safe_child(folder: Path, relative: str, what: str) -> Path:
    """``folder / relative``, refusing absolute paths and anything that leaves ``folder``."""
    if not relative or os.path.isabs(relative) or relative.startswith(("~", "\\")):
        raise ModuleUnsafeError(f"{what} {relative!r} must be a relative path inside {folder}")
    target = (folder / relative).resolve()
    root = folder.resolve()
    if target != root and root not in target.parents:
        raise ModuleUnsafeError(f"{what} {relative!r} points outside the module folder {folder}")
    return target


def load_module(path: str | os.PathLike[str]) -> ModelModule:
    """Read a module from a folder (manifest or hub layout) or an ``.onnx`` file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ModuleMissingError(f"model module not found: {p}")
    if p.is_file():
        if p.suffix != ".onnx":
            raise ModuleMissingError(f"{p} is neither a module folder nor an .onnx file")
        return _infer(p.parent, p)
    manifest = p / "model.json"
    if manifest.is_file():
        return _from_manifest(p, manifest)
    for folder in (p / "onnx", p):
        for name in _HUB_ONNX_NAMES:
            if (folder / name).is_file():
                return _infer(p, folder / name)
    raise ModuleMissingError(f"{p} has no model.json and no onnx/model*.onnx")


def _from_manifest(folder: Path, manifest: Path) -> ModelModule:
    try:
        raw = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModuleCorruptError(f"{manifest}: unreadable manifest ({exc})") from exc
    if not isinstance(raw, dict):
        raise ModuleCorruptError(f"{manifest}: the manifest must be a JSON object")
    version = raw.get("format_version", 1)
    if version != 1:
        raise ModuleIncompatibleError(
            f"{manifest}: format_version {version} is not supported (1 is)"
        )
    try:
        fim_raw = raw.get("fim", {})
        fim = FimTokens(
            prefix=fim_raw.get("prefix", QWEN_SPECIALS["prefix"]),
            suffix=fim_raw.get("suffix", QWEN_SPECIALS["suffix"]),
            middle=fim_raw.get("middle", QWEN_SPECIALS["middle"]),
            file_sep=fim_raw.get("file_sep", QWEN_SPECIALS["file_sep"]),
            eos=fim_raw.get("eos", QWEN_SPECIALS["eos"]),
            orders=tuple(fim_raw.get("orders", ["psm"])),
        )
        files = raw.get("files", {})
        if not isinstance(files, dict):
            raise TypeError("files must be an object")
        for rel, entry in files.items():
            _safe_child(folder, rel, "manifest file")
            if isinstance(entry, dict) and entry.get("stored_as"):
                _safe_child(folder, str(entry["stored_as"]), "encrypted file")
        encryption = raw.get("encryption") or {}
        if not isinstance(encryption, dict):
            raise TypeError("encryption must be an object")
        return ModelModule(
            folder=folder,
            name=str(raw.get("name", folder.name)),
            languages=tuple(raw.get("languages", [])),
            model_path=_safe_child(folder, str(raw.get("model", "model.onnx")), "model"),
            tokenizer_path=_safe_child(
                folder, str(raw.get("tokenizer", "tokenizer.json")), "tokenizer"
            ),
            fim=fim,
            architecture=str(raw.get("architecture", "qwen2")),
            context_length=int(raw.get("context_length", 2048)),
            stop_tokens=tuple(raw.get("stop_tokens", [])),
            quantization=str(raw.get("quantization", "unknown")),
            files=files,
            version=str(raw.get("version", "")),
            description=str(raw.get("description", "")),
            encryption=encryption,
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ModuleCorruptError(f"{manifest}: invalid manifest ({exc})") from exc


def _infer(folder: Path, onnx_path: Path) -> ModelModule:
    """A manifest for a hub-layout folder or a bare .onnx file: Qwen2.5-Coder conventions."""
    tokenizer = folder / "tokenizer.json"
    if not tokenizer.is_file():
        tokenizer = onnx_path.parent / "tokenizer.json"
    if not tokenizer.is_file():
        raise ModuleMissingError(f"no tokenizer.json beside {onnx_path}")
    config: dict[str, Any] = {}
    if (folder / "config.json").is_file():
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = {}
    try:
        vocab = json.loads(tokenizer.read_text(encoding="utf-8"))
        added = {t.get("content") for t in vocab.get("added_tokens", [])}
    except (OSError, ValueError) as exc:
        raise ModuleCorruptError(f"{tokenizer}: unreadable tokenizer ({exc})") from exc
    has_fim = all(QWEN_SPECIALS[k] in added for k in ("prefix", "suffix", "middle"))
    eos = QWEN_SPECIALS["eos"] if QWEN_SPECIALS["eos"] in added else ""
    stops = tuple(
        t
        for t in ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "<|repo_name|>")
        if t in added
    )
    return ModelModule(
        folder=folder,
        name=str(config.get("_name_or_path") or folder.name),
        languages=(),
        model_path=onnx_path,
        tokenizer_path=tokenizer,
        fim=FimTokens(eos=eos, orders=("psm",) if has_fim else ("prefix_only",)),
        architecture=str(config.get("model_type", "qwen2")),
        context_length=int(config.get("max_position_embeddings", 32768)),
        stop_tokens=stops,
        quantization="unknown",
        files={},
        inferred=True,
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(module: ModelModule) -> None:
    """Check every manifest file's size and SHA-256, and that the graph's external data stays
    inside the module folder. Raises a :class:`ModuleError` that says what is wrong.

    For an encrypted module this checks the encrypted files as stored (``stored_size``,
    ``stored_sha256``: no key needed); the plaintext hashes are checked after decryption in
    memory, and the external-data rule on the decrypted graph (``registry``)."""
    for rel, entry in module.files.items():
        path = _safe_child(module.folder, rel, "manifest file")
        size, expected = entry.get("size"), entry.get("sha256")
        if entry.get("stored_as"):
            path = module.stored_path(rel)
            rel = str(entry["stored_as"])
            size, expected = entry.get("stored_size"), entry.get("stored_sha256")
        elif module.encrypted and rel in (module.model_path.name, module.tokenizer_path.name):
            raise ModuleCorruptError(
                f"{module.name}: model.json marks the module encrypted but gives no stored_as "
                f"for {rel}"
            )
        if not path.is_file():
            raise ModuleCorruptError(f"{module.name}: {rel} is missing")
        if size is not None and path.stat().st_size != size:
            raise ModuleCorruptError(
                f"{module.name}: {rel} is {path.stat().st_size} bytes, the manifest says {size} "
                "(truncated or replaced)"
            )
        if expected and _sha256(path) != expected:
            raise ModuleCorruptError(
                f"{module.name}: {rel} does not match its SHA-256 in model.json (tampered or "
                "corrupt); reinstall the module"
            )
    if not module.inferred:
        for required in (module.model_path, module.tokenizer_path):
            rel = required.relative_to(module.folder.resolve()).as_posix()
            if rel not in module.files:
                raise ModuleCorruptError(f"{module.name}: model.json lists no SHA-256 for {rel}")
    if not module.encrypted:
        check_external_data(module.model_path, module.folder)


def _graph_tensors(graph: Any) -> Any:
    """Every tensor stored in a graph, its subgraphs included (If/Loop/Scan bodies)."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("g"):
                yield from _graph_tensors(attr.g)
            for sub in attr.graphs:
                yield from _graph_tensors(sub)


def external_data_locations(model_path: Path) -> list[str]:
    """The external-data file names an ONNX graph refers to (read without following them)."""
    import onnx

    try:
        model = onnx.load(str(model_path), load_external_data=False)
    except Exception as exc:
        raise ModuleCorruptError(f"{model_path.name}: not a readable ONNX model ({exc})") from exc
    out: list[str] = []
    for tensor in _graph_tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            out.extend(e.value for e in tensor.external_data if e.key == "location")
    return out


def check_external_data(model_path: Path, folder: Path) -> None:
    """Refuse external-data locations that are absolute or leave the graph file's folder
    (``folder`` itself, or ``onnx/`` in a hub layout): ONNX Runtime looks a location up next
    to the graph, links followed, and so does this check, before anything is loaded."""
    where = model_path.parent
    for location in external_data_locations(model_path):
        if not location or os.path.isabs(location) or location.startswith(("~", "\\")):
            raise ModuleUnsafeError(
                f"{model_path.name}: external data {location!r} must be a relative path "
                f"inside the module folder {folder}"
            )
        target = (where / location).resolve()
        root = where.resolve()
        if target != root and root not in target.parents:
            raise ModuleUnsafeError(
                f"{model_path.name}: external data {location!r} points outside the module "
                f"folder {where}; refused"
            )
        if not target.is_file():
            raise ModuleCorruptError(f"{model_path.name}: external data {location!r} is missing")


def verify_plaintext(module: ModelModule, rel: str, data: bytes) -> None:
    """Check a decrypted file against the manifest's plaintext size and SHA-256."""
    entry = module.files.get(rel, {})
    size, expected = entry.get("size"), entry.get("sha256")
    if size is not None and len(data) != size:
        raise ModuleCorruptError(
            f"{module.name}: decrypted {rel} is {len(data)} bytes, the manifest says {size}"
        )
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise ModuleCorruptError(
            f"{module.name}: decrypted {rel} does not match its SHA-256 in model.json"
        )


def check_no_external_data(data: bytes, what: str) -> None:
    """Refuse a serialized graph held in memory that refers to external data (it would be
    looked up relative to the process' working directory)."""
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:
        raise ModuleCorruptError(f"{what}: not a readable ONNX model ({exc})") from exc
    for tensor in _graph_tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise ModuleUnsafeError(
                f"{what}: an encrypted model must hold its weights inside model.onnx "
                "(it refers to external data)"
            )
