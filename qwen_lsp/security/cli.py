"""``qwen-lsp models encrypt|decrypt|list|verify|keygen`` and ``qwen-lsp audit verify``.

Encrypting a module writes a new folder: each file the manifest lists becomes ``NAME.qenc``
(see ``security/crypto.py``), the manifest gains an ``encryption`` object and, per file,
``stored_as``/``stored_size``/``stored_sha256`` beside the plaintext ``size``/``sha256``
(docs/security.md, "Encrypted modules"). Other files (model card, config) are copied.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ..engine.module import (
    ModuleError,
    check_no_external_data,
    external_data_locations,
    load_module,
    verify,
    verify_plaintext,
)
from . import audit, crypto


class CommandError(Exception):
    """A command failed; the message is printed as is."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _key(args: argparse.Namespace) -> bytes:
    """The key named on the command line, else the one the user settings name."""
    from ..config import Settings, load_user_settings, merge

    if args.key_file or args.key_env:
        key_file, key_env = args.key_file or "", args.key_env or ""
    else:
        user, _ = load_user_settings()
        settings, _errors = merge(Settings(), user)
        key_file, key_env = settings.models.keyFile, settings.models.keyEnv
    try:
        return crypto.load_key(key_env, key_file)
    except crypto.CryptoError as exc:
        raise CommandError(str(exc)) from exc


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        raw = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{folder}: no readable model.json ({exc})") from exc
    if not isinstance(raw, dict):
        raise CommandError(f"{folder}/model.json: not an object")
    return raw


def _prepare_output(dst: Path, src: Path) -> None:
    if dst.resolve() == src.resolve():
        raise CommandError("the output folder must differ from the input folder")
    if dst.exists() and any(dst.iterdir()):
        raise CommandError(f"{dst} exists and is not empty")
    dst.mkdir(parents=True, exist_ok=True)


def encrypt_module(
    src: Path, dst: Path, key: bytes, chunk_size: int = crypto.DEFAULT_CHUNK
) -> dict[str, Any]:
    """Write an encrypted copy of the module ``src`` into ``dst``; returns its manifest."""
    try:
        module = load_module(src)
        if module.inferred:
            raise CommandError(f"{src}: only modules with a model.json can be encrypted")
        if module.encrypted:
            raise CommandError(f"{src} is already encrypted")
        verify(module)
        if external_data_locations(module.model_path):
            raise CommandError(
                f"{src}: the model keeps weights in external data files; an encrypted module "
                "must hold them inside model.onnx (re-export it as one file)"
            )
    except ModuleError as exc:
        raise CommandError(str(exc)) from exc
    raw = _manifest(src)
    _prepare_output(dst, src)
    listed = set(raw.get("files", {}))
    for rel, entry in raw.get("files", {}).items():
        stored = rel + crypto.ENCRYPTED_SUFFIX
        (dst / stored).parent.mkdir(parents=True, exist_ok=True)
        crypto.encrypt_file(src / rel, dst / stored, key, rel, chunk_size)
        entry["stored_as"] = stored
        entry["stored_size"] = (dst / stored).stat().st_size
        entry["stored_sha256"] = _sha256(dst / stored)
    raw["encryption"] = {
        "format": "qlspenc",
        "version": crypto.FORMAT_VERSION,
        "cipher": "AES-256-GCM",
        "chunk_size": chunk_size,
        "key_id": crypto.key_id_hex(key),
    }
    for item in sorted(src.rglob("*")):
        rel = item.relative_to(src).as_posix()
        if item.is_file() and rel not in listed and rel != "model.json":
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, dst / rel)
    (dst / "model.json").write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    return raw


def decrypt_module(src: Path, dst: Path, key: bytes) -> dict[str, Any]:
    """Write a decrypted copy of the encrypted module ``src`` into ``dst``."""
    try:
        module = load_module(src)
        if not module.encrypted:
            raise CommandError(f"{src} is not encrypted")
        verify(module)
    except ModuleError as exc:
        raise CommandError(str(exc)) from exc
    raw = _manifest(src)
    _prepare_output(dst, src)
    stored_names = set()
    try:
        for rel, entry in raw.get("files", {}).items():
            stored = entry.pop("stored_as", None)
            entry.pop("stored_size", None)
            entry.pop("stored_sha256", None)
            if not stored:
                continue
            stored_names.add(stored)
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            crypto.decrypt_file(src / stored, dst / rel, key, rel)
            verify_plaintext(module, rel, (dst / rel).read_bytes())
    except (crypto.CryptoError, ModuleError) as exc:
        shutil.rmtree(dst, ignore_errors=True)
        raise CommandError(str(exc)) from exc
    raw.pop("encryption", None)
    for item in sorted(src.rglob("*")):
        rel = item.relative_to(src).as_posix()
        if item.is_file() and rel not in stored_names and rel != "model.json":
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, dst / rel)
    (dst / "model.json").write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    return raw


def verify_module(path: Path, key: bytes | None) -> list[str]:
    """Check a module's files (and, with a key, its decrypted contents); returns notes."""
    notes: list[str] = []
    try:
        module = load_module(path)
        verify(module)
        if not module.encrypted:
            notes.append("every file matches its SHA-256")
            return notes
        notes.append("encrypted files intact (sizes and SHA-256 of the stored files)")
        if key is None:
            notes.append("plaintext not checked: no key")
            return notes
        for rel, entry in module.files.items():
            if not entry.get("stored_as"):
                continue
            stored = module.stored_path(rel)
            plain = crypto.decrypt_bytes(stored.read_bytes(), key, rel, stored.name)
            verify_plaintext(module, rel, plain)
            if rel == module.model_path.name:
                check_no_external_data(plain, rel)
        notes.append("decrypted in memory: every file authenticates and matches its SHA-256")
    except (ModuleError, crypto.CryptoError) as exc:
        raise CommandError(str(exc)) from exc
    return notes


def _describe(folder: Path) -> dict[str, Any]:
    try:
        module = load_module(folder)
    except ModuleError as exc:
        return {"path": str(folder), "error": str(exc)}
    return {
        "name": module.name,
        "path": str(folder),
        "languages": list(module.languages),
        "quantization": module.quantization,
        "encrypted": module.encrypted,
        "key_id": module.encryption.get("key_id") if module.encrypted else None,
    }


def run_models(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp models``."""
    try:
        if args.models_command == "encrypt":
            raw = encrypt_module(Path(args.src), Path(args.dst), _key(args), args.chunk_size)
            print(f"encrypted {args.src} -> {args.dst} (key {raw['encryption']['key_id']})")
        elif args.models_command == "decrypt":
            decrypt_module(Path(args.src), Path(args.dst), _key(args))
            print(f"decrypted {args.src} -> {args.dst}")
        elif args.models_command == "verify":
            key = None
            try:
                key = _key(args)
            except CommandError as exc:
                if args.key_file or args.key_env:
                    raise
                del exc
            for note in verify_module(Path(args.path), key):
                print(f"{args.path}: {note}")
        elif args.models_command == "keygen":
            target = Path(args.file).expanduser()
            if target.exists():
                raise CommandError(f"{target} exists; not overwriting a key")
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(crypto.generate_key() + "\n")
            key = crypto.parse_key(target.read_bytes(), str(target))
            print(f"wrote a new key to {target} (key id {crypto.key_id_hex(key)}; keep it safe)")
        else:  # list
            from ..config import Settings, load_user_settings, merge
            from ..engine.registry import embedded_modules

            user, _ = load_user_settings()
            settings, _errors = merge(Settings(), user)
            folders = [Path(p) for p in args.paths] or [
                *embedded_modules(),
                *(
                    p
                    for root in settings.models.paths
                    for p in sorted(Path(root).expanduser().glob("*"))
                    if (p / "model.json").is_file()
                ),
            ]
            rows = [_describe(f) for f in folders]
            if args.json:
                print(json.dumps(rows, indent=2))
                return 0
            for row in rows:
                if "error" in row:
                    print(f"{row['path']}: {row['error']}")
                    continue
                state = f"encrypted (key {row['key_id']})" if row["encrypted"] else "plain"
                print(
                    f"{row['name']:24} {','.join(row['languages']):28} {row['quantization']:6} "
                    f"{state:28} {row['path']}"
                )
    except CommandError as exc:
        print(f"qwen-lsp: {exc}", file=sys.stderr)
        return 1
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp audit verify FILE``."""
    report = audit.verify(args.file)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "files": report.files,
                    "lines": report.lines,
                    "first_seq": report.first_seq,
                    "last_seq": report.last_seq,
                    "head": report.head,
                    "problems": report.problems,
                    "notes": report.notes,
                },
                indent=2,
            )
        )
    else:
        for note in report.notes:
            print(f"note: {note}")
        for problem in report.problems:
            print(f"BROKEN: {problem}")
        state = "intact" if report.ok else f"BROKEN ({len(report.problems)} problems)"
        print(
            f"{args.file}: {report.lines} lines in {len(report.files)} file(s), chain {state}; "
            f"head {report.head}"
        )
    return 0 if report.ok else 1


def _key_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key-file", help="file holding the key (default: qwenLsp.models.keyFile)")
    p.add_argument(
        "--key-env", help="environment variable holding the key (default: QWEN_LSP_MODEL_KEY)"
    )


def add_parsers(sub: Any, cmd_models: Any, cmd_audit: Any) -> None:
    """The ``models`` and ``audit`` subcommands."""
    p = sub.add_parser("models", help="list, verify, encrypt or decrypt model modules")
    msub = p.add_subparsers(dest="models_command", required=True)
    q = msub.add_parser("list", help="list the modules found (embedded, models.paths, PATHS)")
    q.add_argument("paths", nargs="*")
    q.add_argument("--json", action="store_true")
    q = msub.add_parser("verify", help="check a module's hashes (and decryption, with a key)")
    q.add_argument("path")
    _key_options(q)
    q = msub.add_parser("encrypt", help="write an encrypted copy of a module (AES-256-GCM)")
    q.add_argument("src")
    q.add_argument("dst")
    q.add_argument("--chunk-size", type=int, default=crypto.DEFAULT_CHUNK, help=argparse.SUPPRESS)
    _key_options(q)
    q = msub.add_parser("decrypt", help="write a decrypted copy of an encrypted module")
    q.add_argument("src")
    q.add_argument("dst")
    _key_options(q)
    q = msub.add_parser("keygen", help="write a new random key to FILE (mode 600)")
    q.add_argument("file")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("audit", help="check an audit log")
    asub = p.add_subparsers(dest="audit_command", required=True)
    q = asub.add_parser("verify", help="find edited, removed or reordered lines (exit 1)")
    q.add_argument("file")
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)
