"""Encryption at rest and the audit log end to end: qwen-lsp over a real pipe (pytest-lsp), the
embedded python module encrypted with ``qwen-lsp models encrypt`` into a temporary folder.

- With the right key the encrypted module serves the same completions as the plain one, and no
  plaintext model is written anywhere (the server's TMPDIR and caches lie in the test's folder).
- A wrong or missing key, a truncated or a tampered file: one clear error message, completions
  off for python, symbols and diagnostics still served.
- With a key set, the index cache on disk holds no source text (its entries decrypt with it).
- With ``auditLog`` set, a completion appends a chained line, accepting it (the item's
  ``qwen.acceptSuggestion`` command, as clients run it) appends an ``accepted`` line, and
  ``qwen-lsp audit verify`` passes, then fails once a line is edited.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from qwen_lsp.completion.service import CompletionQuery, CompletionService
from qwen_lsp.config import Settings, merge
from qwen_lsp.security.crypto import blob_codec, load_key
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

from ..e2e.helpers import (
    accept_registrations,
    assert_no_errors_logged,
    change_doc,
    open_doc,
    wait_for,
    wait_for_index,
)
from ..support import REPO, SERVER_COMMAND

MODULE = REPO / "qwen_lsp" / "models" / "python"
CLI = [sys.executable, "-m", "qwen_lsp"]
SOURCE = (
    "def area(width, height):\n"
    '    """Area of a rectangle."""\n'
    "    return width * height\n"
    "\n"
    "\n"
    "def perimeter(width, height):\n"
    "    return "
)
CURSOR = (6, 11)
# Text of a workspace file that the index summarises (a definition name and its doc line).
INDEXED = (
    "def zanzibar_quokka_total(items):\n"
    '    """Sums the quokkas of Zanzibar, a marker for the cache test."""\n'
    "    return sum(items)\n"
)


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two keys made with ``qwen-lsp models keygen``, outside any workspace."""
    folder = tmp_path_factory.mktemp("keys")
    for name in ("right", "wrong"):
        _cli("models", "keygen", str(folder / f"{name}.key"))
    return {"right": folder / "right.key", "wrong": folder / "wrong.key"}


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Path:
    """The embedded python module, encrypted with the right key by the command line."""
    target = tmp_path_factory.mktemp("encrypted") / "python"
    _cli("models", "encrypt", "--key-file", str(keys["right"]), str(MODULE), str(target))
    assert not list(target.glob("*.onnx")) and (target / "model.onnx.qenc").exists()
    return target


def _options(module: Path, key_file: Path | None, **extra) -> dict:
    models: dict = {"byLanguage": {"python": str(module)}, "idleUnloadSeconds": 600}
    if key_file is not None:
        models["keyFile"] = str(key_file)
    else:
        models["keyEnv"] = "QWEN_LSP_TEST_NO_SUCH_KEY"
    return {
        "models": models,
        "completion": {
            "syntaxCheck": False,
            "nameCheck": False,
            "minChars": 0,
            "crossFile": False,
            "multiline": "never",
            "maxTokens": 12,
        },
        **extra,
    }


async def _start(client: LanguageClient, options: dict, root: Path | None = None) -> None:
    accept_registrations(client)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=(
                [types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root else None
            ),
            initialization_options=options,
        )
    )


def _inline(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )


async def _items(client: LanguageClient, uri: str, line: int, character: int) -> list:
    result = await client.text_document_inline_completion_async(_inline(uri, line, character))
    return list(result.items) if isinstance(result, types.InlineCompletionList) else []


def _plain_text(uri: str) -> str | None:
    """What the plain (unencrypted) module completes at the cursor, in this process."""
    settings, errors = merge(Settings(), _options(MODULE, None))
    assert errors == []
    doc = Document(uri, SOURCE, 1, default_registry().by_id("python"))
    service = CompletionService()
    try:
        suggestion = service.complete_sync(
            CompletionQuery(uri, doc.snapshot(), doc.offset(*CURSOR), settings)
        )
    finally:
        service.close()
    return suggestion.text if suggestion else None


# -- an encrypted module with the right key ---------------------------------------------------


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR and the cache of the server started next lie in this test's folder."""
    for name in ("tmp", "cache"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setenv("QWEN_LSP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def right_key(
    lsp_client: LanguageClient, private_tmp: Path, encrypted: Path, keys: dict[str, Path]
):
    module = private_tmp / "module"
    shutil.copytree(encrypted, module)
    lsp_client.module = module  # type: ignore[attr-defined]
    lsp_client.tmp = private_tmp  # type: ignore[attr-defined]
    await _start(lsp_client, _options(module, keys["right"]))
    yield
    await lsp_client.shutdown_session()


async def test_encrypted_module_serves_completions_from_memory(right_key: LanguageClient):
    client = right_key
    tmp: Path = client.tmp  # type: ignore[attr-defined]
    uri = (tmp / "work" / "geometry.py").as_uri()
    open_doc(client, uri, SOURCE)
    items = await _items(client, uri, *CURSOR)
    expected = _plain_text(uri)
    assert expected, "the plain module completes here"
    assert [i.insert_text for i in items] == [expected]
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )
    assert [m["path"] for m in info["loaded"]] == [str(client.module)]  # type: ignore[attr-defined]
    # Decrypted into memory only: no model file, and no file holding the model's bytes, was
    # written anywhere in the folder (module copy, TMPDIR, caches) while it loaded and served.
    plain = (MODULE / "model.onnx").read_bytes()
    digest = hashlib.sha256(plain).hexdigest()
    probes = [plain[i : i + 64] for i in (1 << 20, len(plain) // 2, len(plain) - 4096)]
    for path in tmp.rglob("*"):
        if not path.is_file():
            continue
        assert not path.name.endswith(".onnx"), path
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() != digest, path
        assert not any(p in data for p in probes), f"{path} holds plaintext weights"
    assert_no_errors_logged(client)


# -- a module that cannot be opened -------------------------------------------------------------

FAILURES = {
    "wrong key": "wrong key",
    "missing key": "no key",
    "truncated": "truncated",
    "tampered": "fails authentication",
}


@pytest.fixture
def broken(
    case: str, tmp_path: Path, encrypted: Path, keys: dict[str, Path]
) -> tuple[str, Path, Path | None]:
    """(case, module folder, key file) for one way an encrypted module cannot be opened."""
    module = tmp_path / "module"
    shutil.copytree(encrypted, module)
    stored = module / "model.onnx.qenc"
    manifest_path = module / "model.json"
    if case in ("truncated", "tampered"):
        data = bytearray(stored.read_bytes())
        if case == "truncated":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 2] ^= 0x01  # one bit in the middle of the ciphertext
        stored.write_bytes(bytes(data))
        # Whoever damaged the file fixed the manifest too: the cipher must still catch it.
        manifest = json.loads(manifest_path.read_text())
        for entry in manifest["files"].values():
            if entry.get("stored_as") == stored.name:
                entry["stored_size"] = len(data)
                entry["stored_sha256"] = hashlib.sha256(data).hexdigest()
        manifest_path.write_text(json.dumps(manifest, indent=2))
    key = {"wrong key": keys["wrong"], "missing key": None}.get(case, keys["right"])
    return case, module, key


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def broken_client(lsp_client: LanguageClient, broken: tuple[str, Path, Path | None]):
    _case, module, key = broken
    await _start(lsp_client, _options(module, key))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.parametrize("case", sorted(FAILURES))
async def test_unusable_encrypted_module_is_reported_and_the_rest_works(
    broken_client: LanguageClient, tmp_path: Path, case: str
):
    client = broken_client
    uri = (tmp_path / "geometry.py").as_uri()
    text = SOURCE + "width +\n"  # a syntax error, for diagnostics
    open_doc(client, uri, text)
    for i in range(3):
        assert await _items(client, uri, *CURSOR) == []
        change_doc(client, uri, 2 + i, (6, 11 + i), (6, 11 + i), "w")
    needle = FAILURES[case]
    messages = await wait_for(
        lambda: [m for m in client.messages if needle in m.message], 10, "the message"
    )
    assert len(messages) == 1, [m.message for m in client.messages]  # once, not per request
    assert messages[0].type == types.MessageType.Error
    assert "completions are off for python" in messages[0].message
    if case in ("truncated", "tampered"):
        assert "model.onnx.qenc" in messages[0].message
        assert "restore it from the original" in messages[0].message
    else:
        assert "keyFile" in messages[0].message  # where to set the key
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["area", "perimeter"]
    await wait_for(lambda: client.diagnostics.get(uri), 20, "diagnostics")
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )
    assert info["loaded"] == []


# -- the index cache ---------------------------------------------------------------------------


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def indexed(lsp_client: LanguageClient, tmp_path: Path, keys: dict[str, Path]):
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "quokka.py").write_text(INDEXED)
    (root / "pkg" / "geometry.py").write_text(SOURCE + "1\n")
    cache = tmp_path / "index-cache"
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.cache = cache  # type: ignore[attr-defined]
    # The key comes from the session's settings (no completion asked for first).
    options = _options(MODULE, keys["right"], index={"cacheDir": str(cache)})
    await _start(lsp_client, options, root)
    yield
    await lsp_client.shutdown_session()


async def test_index_cache_is_encrypted_with_the_key(indexed: LanguageClient, keys):
    client = indexed
    await wait_for_index(client, 60)
    found = await client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="zanzibar_quokka")
    )
    assert [s.name for s in found or []] == ["zanzibar_quokka_total"]
    cache: Path = client.cache  # type: ignore[attr-defined]
    databases = list(cache.glob("*.sqlite3"))
    assert len(databases) == 1, list(cache.iterdir())
    raw = b"".join(p.read_bytes() for p in cache.iterdir() if p.is_file())  # with its WAL
    for marker in (b"zanzibar_quokka_total", b"Sums the quokkas", b"perimeter"):
        assert marker not in raw, f"{marker!r} lies in clear in the index cache"
    # The entries are there, and they are the summaries, sealed with the configured key.
    _encrypt, decrypt = blob_codec(load_key("", str(keys["right"])))
    with sqlite3.connect(databases[0]) as db:
        rows = db.execute("SELECT data FROM summaries").fetchall()
    plain = b"".join(decrypt(row[0]) for row in rows)
    assert b"zanzibar_quokka_total" in plain and b"Sums the quokkas" in plain


# -- the audit log -----------------------------------------------------------------------------


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def audited(lsp_client: LanguageClient, tmp_path: Path):
    audit = tmp_path / "audit" / "qwen.jsonl"
    lsp_client.audit = audit  # type: ignore[attr-defined]
    await _start(lsp_client, _options(MODULE, None, auditLog=str(audit)))
    yield
    await lsp_client.shutdown_session()


def _lines(audit: Path) -> list[dict]:
    return [json.loads(line) for line in audit.read_text().splitlines()] if audit.exists() else []


async def test_audit_log_records_generations_and_acceptance(
    audited: LanguageClient, tmp_path: Path
):
    client = audited
    audit: Path = client.audit  # type: ignore[attr-defined]
    uri = (tmp_path / "geometry.py").as_uri()
    open_doc(client, uri, SOURCE)
    items = await _items(client, uri, *CURSOR)
    assert len(items) == 1
    records = _lines(audit)
    assert [r["event"] for r in records] == ["generation"]
    first = records[0]
    assert first["document"] == uri and first["backend"] == "local"
    cursor = {"line": CURSOR[0], "character": CURSOR[1]}
    assert first["range"] == {"start": cursor, "end": cursor}
    manifest = json.loads((MODULE / "model.json").read_text())
    assert first["model"] == manifest["name"]
    assert first["model_sha256"] == manifest["files"]["model.onnx"]["sha256"]
    shown = items[0].insert_text
    assert first["output_sha256"] == hashlib.sha256(shown.encode()).hexdigest()
    assert len(first["prompt_sha256"]) == 64 and first["accepted"] is None
    # The client accepts the suggestion: it runs the item's command.
    command = items[0].command
    assert command.command == "qwen.acceptSuggestion"
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )
    records = await wait_for(lambda: _lines(audit)[1:], 5, "the accepted line")
    assert records[0]["event"] == "accepted" and records[0]["id"] == first["id"]
    assert records[0]["accepted"] is True and records[0]["document"] == uri
    # A second generation chains on.
    change_doc(client, uri, 2, (6, 11), (6, 11), "w")
    await _items(client, uri, CURSOR[0], CURSOR[1] + 1)
    assert [r["event"] for r in _lines(audit)] == ["generation", "accepted", "generation"]
    assert_no_errors_logged(client)

    ok = json.loads(_cli("audit", "verify", "--json", str(audit)).stdout)
    assert ok["ok"] is True and ok["lines"] == 3 and ok["problems"] == [], ok
    # Edit one line (as someone hiding an accepted suggestion would): verify finds it.
    lines = audit.read_text().splitlines(keepends=True)
    edited = [lines[0], lines[1].replace('"accepted":true', '"accepted":false'), lines[2]]
    assert edited[1] != lines[1]
    audit.write_text("".join(edited))
    bad = _cli("audit", "verify", "--json", str(audit), check=False)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    report = json.loads(bad.stdout)
    assert any(p.startswith(f"{audit.name}:3: prev does not match") for p in report["problems"])
    # Remove a line instead: found too.
    audit.write_text(lines[0] + lines[2])
    gone = _cli("audit", "verify", str(audit), check=False)
    assert gone.returncode == 1 and "BROKEN" in gone.stdout, gone.stdout + gone.stderr


def test_key_env_is_read_from_the_environment(
    encrypted: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same module through ``keyEnv`` (the default source) in ``qwen-lsp models verify``."""
    monkeypatch.setenv("QWEN_LSP_MODEL_KEY", keys["right"].read_text().strip())
    done = subprocess.run(
        [*CLI, "models", "verify", str(encrypted)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "plaintext not checked" not in done.stdout
