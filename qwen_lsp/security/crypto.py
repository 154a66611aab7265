"""Encryption at rest: AES-256-GCM (``cryptography``), chunked, with an authenticated header.

File format (version 1), see docs/security.md "Encryption at rest"::

    header (40 bytes)
      magic         8  b"QLSPENC\\0"
      version       1  1
      cipher        1  1 = AES-256-GCM
      reserved      2  0
      chunk_size    4  plaintext bytes per chunk (big-endian)
      plain_size    8  plaintext length (big-endian)
      key_id        8  identifies the key (HKDF of the key; reveals nothing about it)
      nonce_prefix  8  random per file
    chunks: ceil(plain_size / chunk_size) of them (one, empty, for an empty file), each the
      ciphertext followed by its 16-byte tag

Chunk ``i`` is sealed with nonce ``nonce_prefix || i`` (32-bit big-endian) and associated data
``header || SHA-256(name) || i || final``: the header (format version included) is authenticated
by every chunk, chunks cannot be reordered, dropped, or moved to another file (``name`` is the
plaintext file name, e.g. ``model.onnx``), and a file cut at a chunk boundary fails because its
last chunk was not sealed as final (the STREAM construction).

Keys are 32 random bytes, given as 64 hex digits or base64 text (or raw bytes in a key file),
from an environment variable or a key file that must lie outside the workspace. Purpose keys
are derived with HKDF-SHA256: one for module files, one for the index cache, one for the key id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"QLSPENC\x00"
FORMAT_VERSION = 1
CIPHER_AES256GCM = 1
HEADER = struct.Struct(">8sBBHIQ8s8s")
HEADER_SIZE = HEADER.size  # 40
TAG_SIZE = 16
DEFAULT_CHUNK = 1 << 20
KEY_SIZE = 32
ENCRYPTED_SUFFIX = ".qenc"


class CryptoError(Exception):
    """Encryption or decryption failed; the message says why and what to do."""


class KeyMissingError(CryptoError):
    """No key is configured (or it cannot be read)."""


class KeyFormatError(CryptoError):
    """The configured key is not 32 bytes in a known encoding."""


class WrongKeyError(CryptoError):
    """The file was encrypted with another key."""


class TamperedError(CryptoError):
    """The file is truncated, modified, or not the file it claims to be."""


class FormatError(CryptoError):
    """Not an encrypted file of a version this program reads."""


# -- keys ------------------------------------------------------------------------------------


def parse_key(raw: bytes | str, where: str) -> bytes:
    """A 32-byte key from 64 hex digits, base64 text, or (in a key file) 32 raw bytes."""
    if isinstance(raw, bytes):
        if len(raw) == KEY_SIZE:
            return raw
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            raw = ""
    text = raw.strip()
    if len(text) == 2 * KEY_SIZE:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    for altchars in (None, b"-_"):
        try:
            decoded = base64.b64decode(text + "=" * (-len(text) % 4), altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(decoded) == KEY_SIZE:
            return decoded
    raise KeyFormatError(
        f"{where}: the key must be 32 bytes, written as 64 hex digits or base64 "
        f"(it has {len(text)} characters); create one with `qwen-lsp models keygen FILE`"
    )


def _inside(path: Path, roots: Iterable[Path]) -> Path | None:
    resolved = path.resolve()
    for root in roots:
        try:
            r = Path(root).resolve()
        except OSError:
            continue
        if resolved == r or r in resolved.parents:
            return r
    return None


def load_key(
    key_env: str,
    key_file: str,
    workspace_roots: Iterable[Path] = (),
    environ: dict[str, str] | None = None,
) -> bytes:
    """The key from ``key_file`` (when set) or the environment variable ``key_env``.

    A key file inside a workspace root is refused: keys never come from the workspace (a
    repository could carry one). Raises :class:`KeyMissingError` or :class:`KeyFormatError`.
    """
    env = os.environ if environ is None else environ
    if key_file:
        path = Path(key_file).expanduser()
        root = _inside(path, workspace_roots)
        if root is not None:
            raise KeyMissingError(
                f"the key file {path} lies inside the workspace {root}; keys must be kept "
                "outside the workspace (move it and update qwenLsp.models.keyFile)"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyMissingError(f"cannot read the key file {path}: {exc.strerror}") from exc
        return parse_key(data, f"key file {path}")
    if key_env and env.get(key_env):
        return parse_key(env[key_env], f"environment variable {key_env}")
    where = f"the environment variable {key_env}" if key_env else "no environment variable"
    raise KeyMissingError(
        f"no key: set {where} or qwenLsp.models.keyFile (a file outside the workspace)"
    )


def generate_key() -> str:
    """A new random key, as 64 hex digits."""
    return secrets.token_hex(KEY_SIZE)


def _derive(key: bytes, purpose: bytes, length: int = KEY_SIZE) -> bytes:
    # cryptography is imported where a key is used: the CLI's parser and servers that encrypt
    # nothing never pay for it (about 9 MB).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(key)


def _aead(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _invalid_tag() -> type[Exception]:
    from cryptography.exceptions import InvalidTag

    return InvalidTag


def key_id(key: bytes) -> bytes:
    """8 bytes that identify a key without revealing it."""
    return _derive(key, b"qwen-lsp key id v1", 8)


def key_id_hex(key: bytes) -> str:
    """The key id as hex (shown in messages and manifests)."""
    return key_id(key).hex()


# -- the chunked file format -------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The decoded header of an encrypted file."""

    version: int
    cipher: int
    chunk_size: int
    plain_size: int
    key_id: bytes
    nonce_prefix: bytes
    raw: bytes

    @property
    def chunks(self) -> int:
        """Number of chunks."""
        return max(1, -(-self.plain_size // self.chunk_size))

    @property
    def file_size(self) -> int:
        """Size the whole encrypted file must have."""
        return HEADER_SIZE + self.plain_size + TAG_SIZE * self.chunks


def _pack_header(chunk_size: int, plain_size: int, kid: bytes, prefix: bytes) -> bytes:
    return HEADER.pack(
        MAGIC, FORMAT_VERSION, CIPHER_AES256GCM, 0, chunk_size, plain_size, kid, prefix
    )


def read_header(data: bytes, what: str) -> Header:
    """Parse and check a header; raises :class:`FormatError`."""
    if len(data) < HEADER_SIZE or not data.startswith(MAGIC):
        raise FormatError(f"{what} is not a qwen-lsp encrypted file (bad magic)")
    magic, version, cipher, _reserved, chunk, size, kid, prefix = HEADER.unpack(data[:HEADER_SIZE])
    del magic
    if version != FORMAT_VERSION:
        raise FormatError(
            f"{what}: encrypted with format version {version}; this qwen-lsp reads version "
            f"{FORMAT_VERSION} (upgrade qwen-lsp)"
        )
    if cipher != CIPHER_AES256GCM:
        raise FormatError(f"{what}: unknown cipher {cipher}")
    if chunk <= 0:
        raise TamperedError(f"{what}: corrupt header (chunk size {chunk})")
    return Header(version, cipher, chunk, size, kid, prefix, data[:HEADER_SIZE])


def _aad(header: bytes, name: str, index: int, final: bool) -> bytes:
    return header + hashlib.sha256(name.encode()).digest() + struct.pack(">QB", index, final)


def _nonce(prefix: bytes, index: int) -> bytes:
    if index >= 1 << 32:
        raise CryptoError("file too large for one encryption (2^32 chunks)")
    return prefix + struct.pack(">I", index)


def encrypt_stream(
    read: Callable[[int], bytes],
    write: Callable[[bytes], object],
    plain_size: int,
    key: bytes,
    name: str,
    chunk_size: int = DEFAULT_CHUNK,
) -> None:
    """Encrypt ``plain_size`` bytes from ``read`` to ``write``."""
    aes = _aead(_derive(key, b"qwen-lsp module file v1"))
    prefix = secrets.token_bytes(8)
    header = _pack_header(chunk_size, plain_size, key_id(key), prefix)
    write(header)
    chunks = max(1, -(-plain_size // chunk_size))
    for i in range(chunks):
        part = read(chunk_size) if plain_size else b""
        expected = min(chunk_size, plain_size - i * chunk_size)
        if len(part) != expected:
            raise CryptoError(f"{name}: the input changed while it was being encrypted")
        write(aes.encrypt(_nonce(prefix, i), part, _aad(header, name, i, i == chunks - 1)))


def encrypt_bytes(data: bytes, key: bytes, name: str, chunk_size: int = DEFAULT_CHUNK) -> bytes:
    """Encrypt a buffer (tests, small files)."""
    out: list[bytes] = []
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        part = data[pos : pos + n]
        pos += n
        return part

    encrypt_stream(read, out.append, len(data), key, name, chunk_size)
    return b"".join(out)


def decrypt_bytes(data: bytes, key: bytes, name: str, what: str | None = None) -> bytes:
    """Decrypt a whole encrypted file held in memory; the plaintext never touches the disk.

    Raises :class:`FormatError`, :class:`WrongKeyError` or :class:`TamperedError` with a message
    that names ``what`` (default: ``name``).
    """
    what = what or name
    header = read_header(data, what)
    if len(data) != header.file_size:
        raise TamperedError(
            f"{what} is {len(data)} bytes but its header says {header.file_size} "
            "(truncated or appended to); restore it from the original"
        )
    kid = key_id(key)
    if kid != header.key_id:
        raise WrongKeyError(
            f"{what} was encrypted with key {header.key_id.hex()}, but the configured key is "
            f"{kid.hex()}: wrong key"
        )
    aes = _aead(_derive(key, b"qwen-lsp module file v1"))
    out = bytearray()
    pos = HEADER_SIZE
    for i in range(header.chunks):
        plain_len = min(header.chunk_size, header.plain_size - i * header.chunk_size)
        sealed = data[pos : pos + plain_len + TAG_SIZE]
        pos += plain_len + TAG_SIZE
        try:
            out += aes.decrypt(
                _nonce(header.nonce_prefix, i),
                sealed,
                _aad(header.raw, name, i, i == header.chunks - 1),
            )
        except _invalid_tag():
            raise TamperedError(
                f"{what}: chunk {i} fails authentication (the file was modified, truncated, or "
                "is another file renamed); restore it from the original"
            ) from None
    return bytes(out)


def encrypt_file(
    src: Path, dst: Path, key: bytes, name: str, chunk_size: int = DEFAULT_CHUNK
) -> None:
    """Encrypt ``src`` into ``dst`` (written under a temporary name, then renamed)."""
    size = src.stat().st_size
    fd, tmp = tempfile.mkstemp(prefix=".qenc-", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            encrypt_stream(inp.read, out.write, size, key, name, chunk_size)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def decrypt_file(src: Path, dst: Path, key: bytes, name: str) -> None:
    """Decrypt ``src`` into ``dst``; nothing is left at ``dst`` when authentication fails."""
    plain = decrypt_bytes(src.read_bytes(), key, name, src.name)
    fd, tmp = tempfile.mkstemp(prefix=".qdec-", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(plain)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_key_id(path: Path) -> str | None:
    """The key id recorded in an encrypted file's header (None when it is not one)."""
    try:
        with open(path, "rb") as fh:
            return read_header(fh.read(HEADER_SIZE), path.name).key_id.hex()
    except (OSError, CryptoError):
        return None


# -- the index cache codec ----------------------------------------------------------------------

_BLOB_VERSION = b"\x01"
_BLOB_AAD = b"qwen-lsp index cache blob v1"


def blob_codec(key: bytes) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    """``(encrypt, decrypt)`` for cache blobs: version byte, random 96-bit nonce, AES-256-GCM.

    ``decrypt`` raises on a wrong key or a modified blob (the cache then re-parses the file).
    """
    aes = _aead(_derive(key, b"qwen-lsp index cache v1"))

    def encrypt(blob: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return _BLOB_VERSION + nonce + aes.encrypt(nonce, blob, _BLOB_AAD)

    def decrypt(blob: bytes) -> bytes:
        if not blob.startswith(_BLOB_VERSION) or len(blob) < 1 + 12 + TAG_SIZE:
            raise TamperedError("not an encrypted cache entry")
        try:
            return aes.decrypt(blob[1:13], blob[13:], _BLOB_AAD)
        except _invalid_tag():
            raise TamperedError("cache entry fails authentication (other key?)") from None

    return encrypt, decrypt
