"""The encrypted file format on real files: round trips, and every way a file can be wrong
(wrong key, truncated, a flipped bit anywhere, chunks reordered, a file renamed as another,
an unknown version) fails with its own clear error; keys from the environment or a file that
must lie outside the workspace."""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

import pytest

from qwen_lsp.security import crypto
from qwen_lsp.security.crypto import (
    HEADER,
    HEADER_SIZE,
    TAG_SIZE,
    FormatError,
    KeyFormatError,
    KeyMissingError,
    TamperedError,
    WrongKeyError,
    blob_codec,
    decrypt_bytes,
    decrypt_file,
    encrypt_bytes,
    encrypt_file,
    load_key,
    parse_key,
)

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 64, 1000])
@pytest.mark.parametrize("chunk", [1, 16, 1 << 20])
def test_round_trip(size: int, chunk: int) -> None:
    data = os.urandom(size)
    sealed = encrypt_bytes(data, KEY, "model.onnx", chunk)
    assert decrypt_bytes(sealed, KEY, "model.onnx") == data
    chunks = max(1, -(-size // chunk))
    assert len(sealed) == HEADER_SIZE + size + TAG_SIZE * chunks
    if size >= 16:
        assert data not in sealed  # no plaintext on disk


def test_same_plaintext_encrypts_differently() -> None:
    data = b"x" * 100
    assert encrypt_bytes(data, KEY, "a") != encrypt_bytes(data, KEY, "a")


def test_wrong_key_is_named_as_such() -> None:
    sealed = encrypt_bytes(b"weights" * 10, KEY, "model.onnx")
    with pytest.raises(WrongKeyError, match="wrong key"):
        decrypt_bytes(sealed, OTHER, "model.onnx")


def test_truncated_file() -> None:
    sealed = encrypt_bytes(os.urandom(100), KEY, "model.onnx", 16)
    with pytest.raises(TamperedError, match="truncated"):
        decrypt_bytes(sealed[:-1], KEY, "model.onnx")
    with pytest.raises(TamperedError, match="truncated"):
        decrypt_bytes(sealed + b"\0", KEY, "model.onnx")


def test_truncated_at_a_chunk_boundary_with_a_consistent_header() -> None:
    # Drop the last chunk and rewrite plain_size to match: the new last chunk was not sealed
    # as the final one, so authentication fails.
    sealed = encrypt_bytes(os.urandom(40), KEY, "model.onnx", 16)
    fields = list(HEADER.unpack(sealed[:HEADER_SIZE]))
    fields[5] = 32  # plain_size
    cut = HEADER.pack(*fields) + sealed[HEADER_SIZE : HEADER_SIZE + 2 * (16 + TAG_SIZE)]
    with pytest.raises(TamperedError, match="fails authentication"):
        decrypt_bytes(cut, KEY, "model.onnx")


@pytest.mark.parametrize("where", ["header", "first chunk", "last tag"])
def test_any_flipped_bit_is_found(where: str) -> None:
    sealed = bytearray(encrypt_bytes(os.urandom(100), KEY, "model.onnx", 32))
    index = {"header": 30, "first chunk": HEADER_SIZE + 3, "last tag": len(sealed) - 1}[where]
    sealed[index] ^= 0x01
    with pytest.raises((TamperedError, WrongKeyError)):
        decrypt_bytes(bytes(sealed), KEY, "model.onnx")


def test_reordered_chunks_fail() -> None:
    sealed = encrypt_bytes(os.urandom(64), KEY, "model.onnx", 16)
    step = 16 + TAG_SIZE
    body = sealed[HEADER_SIZE:]
    chunks = [body[i : i + step] for i in range(0, len(body), step)]
    swapped = sealed[:HEADER_SIZE] + chunks[1] + chunks[0] + b"".join(chunks[2:])
    with pytest.raises(TamperedError, match="chunk 0"):
        decrypt_bytes(swapped, KEY, "model.onnx")


def test_a_file_renamed_as_another_fails() -> None:
    sealed = encrypt_bytes(b"{}", KEY, "tokenizer.json")
    with pytest.raises(TamperedError, match="another file"):
        decrypt_bytes(sealed, KEY, "model.onnx")


def test_unknown_version_and_foreign_files() -> None:
    sealed = bytearray(encrypt_bytes(b"abc", KEY, "a"))
    sealed[8] = 2
    with pytest.raises(FormatError, match="format version 2"):
        decrypt_bytes(bytes(sealed), KEY, "a")
    with pytest.raises(FormatError, match="not a qwen-lsp encrypted file"):
        decrypt_bytes(b"\x08\x07onnx protobuf", KEY, "a")


def test_files_on_disk(tmp_path: Path) -> None:
    src = tmp_path / "plain.bin"
    src.write_bytes(os.urandom(3000))
    enc = tmp_path / "plain.bin.qenc"
    encrypt_file(src, enc, KEY, "plain.bin", 1024)
    assert oct(enc.stat().st_mode & 0o777) == "0o600"
    out = tmp_path / "back.bin"
    decrypt_file(enc, out, KEY, "plain.bin")
    assert out.read_bytes() == src.read_bytes()
    bad = tmp_path / "bad.bin"
    with pytest.raises(WrongKeyError):
        decrypt_file(enc, bad, OTHER, "plain.bin")
    assert not bad.exists()
    assert crypto.file_key_id(enc) == crypto.key_id_hex(KEY)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".q")] == []


def test_key_encodings() -> None:
    assert parse_key(KEY.hex(), "x") == KEY
    assert parse_key(base64.b64encode(KEY).decode(), "x") == KEY
    assert parse_key(base64.urlsafe_b64encode(KEY), "x") == KEY
    assert parse_key(KEY, "x") == KEY
    assert parse_key(KEY.hex().encode() + b"\n", "x") == KEY
    with pytest.raises(KeyFormatError, match="32 bytes"):
        parse_key("hunter2", "the variable")


def test_keys_from_env_and_file(tmp_path: Path) -> None:
    assert load_key("MY_KEY", "", environ={"MY_KEY": KEY.hex()}) == KEY
    with pytest.raises(KeyMissingError, match="MY_KEY"):
        load_key("MY_KEY", "", environ={})
    key_file = tmp_path / "keys" / "model.key"
    key_file.parent.mkdir()
    key_file.write_text(OTHER.hex())
    # The file wins over the variable when both are set.
    assert load_key("MY_KEY", str(key_file), environ={"MY_KEY": KEY.hex()}) == OTHER
    with pytest.raises(KeyMissingError, match="cannot read"):
        load_key("", str(tmp_path / "missing.key"), environ={})


def test_key_file_inside_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    (workspace / "config").mkdir(parents=True)
    inside = workspace / "config" / "model.key"
    inside.write_text(KEY.hex())
    with pytest.raises(KeyMissingError, match="inside the workspace"):
        load_key("", str(inside), [workspace], environ={})
    # Through a symlink from outside, still inside.
    link = tmp_path / "link.key"
    link.symlink_to(inside)
    with pytest.raises(KeyMissingError, match="inside the workspace"):
        load_key("", str(link), [workspace], environ={})


def test_blob_codec() -> None:
    encrypt, decrypt = blob_codec(KEY)
    blob = b"summary of a file" * 3
    sealed = encrypt(blob)
    assert blob not in sealed and decrypt(sealed) == blob
    _enc2, decrypt_other = blob_codec(OTHER)
    with pytest.raises(TamperedError):
        decrypt_other(sealed)
    with pytest.raises(TamperedError):
        decrypt(blob)  # a plain blob of an old cache
    assert struct.calcsize(">8sBBHIQ8s8s") == HEADER_SIZE
