"""What may leave the machine: secrets redacted from text, and files kept out of context.

:func:`redact` replaces secrets with ``REDACTED``: private key blocks, ``.env``-style and quoted
assignments to secret-named keys, passwords in connection strings (URL user info, ``Password=``
pairs, ``password=`` query parameters), and every token that ``detect-secrets`` recognises
(cloud and SaaS keys, JWTs, keyword assignments, high-entropy strings), line by line.

:class:`ContextPolicy` decides which files may be quoted to a remote: files inside the workspace
root only, not matched by any ``.gitignore`` on the way down, by ``index.exclude``, or by a
list of files that commonly hold secrets (``.env``, keys, credential stores).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..index.scanner import DEFAULT_EXCLUDED_DIRS, GitIgnoreStack

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin

PLACEHOLDER = "REDACTED"

# detect-secrets plugins: every one that finds a token by its own shape, plus keywords and
# entropy (quoted strings only: no eager search, which flags every word). The private key
# plugin only flags the BEGIN line; whole blocks are handled below.
_PLUGINS = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "KeywordDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
    "Base64HighEntropyString",
    "HexHighEntropyString",
)

_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
# Lines of a key body: base64, or PEM headers such as "Proc-Type: 4,ENCRYPTED".
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9+/=]+|[A-Za-z-]+: .*|)\s*$")
# Key names whose value is a secret whatever it looks like ...
_STRONG = re.compile(
    r"(?i)(pass(word|wd|phrase)?|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"credentials?|signing[_-]?key|auth[_-]?key|encryption[_-]?key)"
)
# ... and names whose value is a secret when it looks random (``token_type = "word"`` is not).
_WEAK = re.compile(r"(?i)(token|auth|dsn|jwt|bearer|session[_-]?key|cookie|salt)")
# Names that merely describe a secret (its type, field name, file, prompt...).
_DESCRIPTIVE = re.compile(
    r"(?i)(secret|token|pass(word|wd)?|key|auth|credentials?)[_-]?(type|types|name|names|id|"
    r"ids|file|path|dir|field|prompt|hint|len|length|policy|url|uri|regex|pattern|label|kind|"
    r"class|count|env|var|header|param|prefix|suffix|format|source|store|manager|provider|"
    r"endpoint|required|expiry|expires|ttl|timeout)$"
)
# name = "literal", name: "literal", "name": "literal" (code, JSON, YAML, TOML).
_QUOTED = re.compile(
    r"(?P<key>[A-Za-z0-9_.-]+)[\"']?\s*(?::=|=|:|=>)\s*[bruf]?"
    r"(?P<q>[\"'])(?P<val>[^\"'\n]{3,})(?P=q)"
)
# KEY=value (no space before "="), as in .env files and shell scripts.
_ENV_LINE = re.compile(
    r"(?m)^(?P<pre>\s*(?:export\s+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)="
    r"(?P<q>[\"']?)(?P<val>[^\s\"'#]+)(?P=q)"
)
# YAML/INI ``password: value`` and ``password = value`` with an unquoted literal value.
_CONFIG_LINE = re.compile(
    r"(?m)^\s*(?P<key>[A-Za-z0-9_.-]+)\s*[:=]\s+"
    r"(?P<val>[^\s\"'#{}\[\](),]*[0-9!@$%^&*+/~|-][^\s\"'#{}\[\](),]*)\s*$"
)
# scheme://user:password@host
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@\"']+:)([^@\s/\"']+)(@)")
# ...;Password=secret;... and "Password=secret;..." (connection strings)
_PAIR = re.compile(r"(?i)((?:[;\"']|^)\s*(?:password|pwd|passwd)=)([^;\"'\s]+)")
# ?password=secret&
_QUERY = re.compile(
    r"(?i)([?&](?:password|pwd|passwd|secret|token|api_?key|access_token|sig)=)([^&\s\"'#]+)"
)
# A whole JSON Web Token (header.payload.signature).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def _looks_random(value: str) -> bool:
    """Whether a value looks like a generated secret rather than a word."""
    if len(value) < 8 or " " in value:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    mixed_case = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return (has_digit and has_alpha) or (mixed_case and len(value) >= 12)


def _secret_key(key: str, value: str) -> bool:
    """Whether ``key = value`` assigns a secret."""
    name = key.rsplit(".", 1)[-1]
    if _DESCRIPTIVE.search(name) or value == PLACEHOLDER:
        return False
    if _STRONG.search(name):
        return True
    return bool(_WEAK.search(name)) and _looks_random(value)


@dataclass
class Redacted:
    """Text with secrets replaced, and how many were."""

    text: str
    count: int


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detectors() -> tuple[Any, ...]:
    """One instance of each detect-secrets plugin (default limits, as the library ships)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins: list[type[BasePlugin]] = list(get_mapping_from_secret_type_to_class().values())
    by_name = {plugin.__name__: plugin for plugin in plugins}
    return tuple(by_name[name]() for name in _PLUGINS if name in by_name)


@lru_cache(maxsize=16384)
def _secrets_in_line(line: str) -> tuple[str, ...]:
    """Secret values detect-secrets finds in one line (cached: lines repeat as users type)."""
    from detect_secrets.filters import heuristic

    found: set[str] = set()
    with _lock:  # plugins keep no state, but their regex caches are not documented as shared
        for plugin in _detectors():
            hits = plugin.analyze_line(filename="context.py", line=line, line_number=0)
            values = {h.secret_value for h in hits if h.secret_value}
            if values and getattr(plugin, "denylist", None):
                # A pattern plugin reports its first group, which for some (GitHub's) is only
                # the prefix: take the whole match where the group is that short.
                for regex in plugin.denylist:
                    for m in regex.finditer(line):
                        group = m.group(m.lastindex) if m.lastindex else None
                        values.add(group if group and len(group) >= 8 else m.group(0))
            for value in values:
                if len(value) < 6 or PLACEHOLDER in value:
                    continue
                if "HighEntropy" in type(plugin).__name__ and (
                    heuristic.is_sequential_string(value)
                    or heuristic.is_potential_uuid(value)
                    or heuristic.is_templated_secret(value)
                ):
                    continue
                found.add(value)
    return tuple(sorted(found, key=len, reverse=True))


def _redact_key_blocks(text: str) -> tuple[str, int]:
    """Replace the body of every private key block; a block cut short (by the prompt window)
    loses the key lines that follow its BEGIN line."""
    count = 0
    pos = 0
    out = []
    while (begin := _KEY_BEGIN.search(text, pos)) is not None:
        body_start = begin.end()
        end = _KEY_END.search(text, body_start)
        if end is not None:
            body_end = end.start()
        else:
            body_end = body_start
            for line in text[body_start:].split("\n")[1:]:
                if not _KEY_LINE.match(line) or not line.strip():
                    break
                body_end += 1 + len(line)
        out.append(text[pos:body_start] + f"\n{PLACEHOLDER}\n")
        count += 1
        pos = body_end
        if end is None and text[pos : pos + 1] == "\n":
            pos += 1
    out.append(text[pos:])
    return "".join(out), count


def _sub_group(pattern: re.Pattern[str], text: str, group: int | str) -> tuple[str, int]:
    """Replace ``group`` of every match (when its key names a secret, for keyed patterns)."""
    count = 0
    keyed = "key" in pattern.groupindex

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        value = m.group(group)
        if value == PLACEHOLDER or (keyed and not _secret_key(m.group("key"), value)):
            return m.group(0)
        count += 1
        start, end = m.span(group)
        base = m.start(0)
        whole = m.group(0)
        return whole[: start - base] + PLACEHOLDER + whole[end - base :]

    return pattern.sub(repl, text), count


def redact(text: str) -> Redacted:
    """``text`` with every secret found replaced by ``REDACTED``."""
    if not text:
        return Redacted(text, 0)
    total = 0

    text, n = _redact_key_blocks(text)
    total += n
    text, n = _JWT.subn(PLACEHOLDER, text)
    total += n
    for pattern, group in (
        (_ENV_LINE, "val"),
        (_QUOTED, "val"),
        (_CONFIG_LINE, "val"),
        (_URL_USERINFO, 2),
        (_PAIR, 2),
        (_QUERY, 2),
    ):
        text, n = _sub_group(pattern, text, group)
        total += n
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if len(line) > 4000 or not line.strip():
            continue  # minified blobs: too slow to scan, and not what a completion needs
        for value in _secrets_in_line(line):
            if value in line:
                line = line.replace(value, PLACEHOLDER)
                total += 1
        lines[i] = line
    return Redacted("\n".join(lines), total)


# -- which files may be sent --------------------------------------------------------------------

# Files that usually hold secrets: never quoted, whatever .gitignore says.
SENSITIVE_PATTERNS = [
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".htpasswd",
    "credentials",
    "credentials.*",
    "secrets.*",
    "*.tfvars",
    "*.tfstate",
]


class ContextPolicy:
    """Whether a file may be quoted to the remote backend."""

    def __init__(self, root: str | Path | None, exclude: list[str] | None = None) -> None:
        self.root = Path(root).resolve() if root else None
        self.exclude = list(exclude or [])
        self._stacks: dict[Path, tuple[float, GitIgnoreStack]] = {}
        self._base = GitIgnoreStack.for_root(
            self.root or Path("/"), [*SENSITIVE_PATTERNS, *self.exclude]
        )
        self._lock = threading.Lock()

    def _stack(self, folder: Path) -> GitIgnoreStack:
        """The gitignore rules applying inside ``folder`` (cached for a few seconds)."""
        now = time.monotonic()
        with self._lock:
            hit = self._stacks.get(folder)
            if hit and now - hit[0] < 5.0:
                return hit[1]
        assert self.root is not None
        if folder == self.root:
            stack = self._base.push_dir(folder)
        else:
            stack = self._stack(folder.parent).push_dir(folder)
        with self._lock:
            if len(self._stacks) > 4096:
                self._stacks.clear()
            self._stacks[folder] = (now, stack)
        return stack

    def allowed(self, path: str | Path, must_exist: bool = True) -> bool:
        """True when ``path`` (absolute, or relative to the root) is a file inside the root that
        nothing excludes; with ``must_exist``, only a file that exists there."""
        if self.root is None:
            return False
        try:
            target = Path(path)
            if not target.is_absolute():
                target = self.root / target
            target = target.resolve()  # a symlink leading out of the root is outside it
            if must_exist and not target.is_file():
                return False
        except (OSError, RuntimeError, ValueError):
            return False
        if self.root not in target.parents:
            return False
        rel_parts = target.relative_to(self.root).parts
        folder = self.root
        for part in rel_parts[:-1]:
            if part in DEFAULT_EXCLUDED_DIRS:
                return False
            stack = self._stack(folder)
            folder = folder / part
            if stack.ignored(folder, True):
                return False
        return not self._stack(folder).ignored(target, False)
