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

from ..index.scanner import DEFAULT_EXCLUDED_DIRS, GitIgnoreStack

PLACEHOLDER = "REDACTED"

# detect-secrets plugins: every one that finds a token by its own shape, plus keywords and
# entropy. (The private key plugin only flags the BEGIN line; whole blocks are handled below.)
_PLUGINS = [
    {"name": "ArtifactoryDetector"},
    {"name": "AWSKeyDetector"},
    {"name": "AzureStorageKeyDetector"},
    {"name": "BasicAuthDetector"},
    {"name": "CloudantDetector"},
    {"name": "DiscordBotTokenDetector"},
    {"name": "GitHubTokenDetector"},
    {"name": "GitLabTokenDetector"},
    {"name": "IbmCloudIamDetector"},
    {"name": "IbmCosHmacDetector"},
    {"name": "JwtTokenDetector"},
    {"name": "KeywordDetector"},
    {"name": "MailchimpDetector"},
    {"name": "NpmDetector"},
    {"name": "OpenAIDetector"},
    {"name": "PypiTokenDetector"},
    {"name": "SendGridDetector"},
    {"name": "SlackDetector"},
    {"name": "SoftlayerDetector"},
    {"name": "SquareOAuthDetector"},
    {"name": "StripeDetector"},
    {"name": "TelegramBotTokenDetector"},
    {"name": "TwilioKeyDetector"},
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "HexHighEntropyString", "limit": 3.0},
]

_PRIVATE_KEY = re.compile(
    r"(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY"
    r"( BLOCK)?-----|\Z)",
    re.DOTALL,
)
_SECRET_WORDS = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key|dsn)"
)
# KEY=value (no space before "="), as in .env files and shell scripts.
_ENV_LINE = re.compile(
    rf"(?im)^(\s*(?:export\s+)?[A-Za-z0-9_.-]*{_SECRET_WORDS}[A-Za-z0-9_.-]*=)"
    r"(?!\s)([\"']?)([^\s\"'#]+)(\2)"
)
# name = "literal", name: "literal", "name": "literal" (code, JSON, YAML, TOML).
_QUOTED = re.compile(
    rf"(?i)([\"']?[A-Za-z0-9_.-]*{_SECRET_WORDS}[A-Za-z0-9_.-]*[\"']?\s*(?::=|=|:|=>)\s*[bru]?)"
    r"([\"'])([^\"'\n]{3,})(\2)"
)
# YAML/INI ``password: value`` and ``password = value`` with an unquoted literal value.
_CONFIG_LINE = re.compile(
    rf"(?im)^(\s*[A-Za-z0-9_.-]*{_SECRET_WORDS}[A-Za-z0-9_.-]*\s*[:=]\s+)"
    r"()([^\s\"'#{}\[\]()]*[0-9!@$%^&*+/~|-][^\s\"'#{}\[\]()]*)()\s*$"
)
# scheme://user:password@host
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@\"']+:)([^@\s/\"']+)(@)")
# ...;Password=secret;... and "Password=secret"
_PAIR = re.compile(r"(?i)((?:^|[;\"'\s])(?:password|pwd|passwd)\s*=\s*)([^;\"'\s]+)")
# ?password=secret&
_QUERY = re.compile(
    r"(?i)([?&](?:password|pwd|passwd|secret|token|api_?key|access_token|sig)=)([^&\s\"'#]+)"
)


@dataclass
class Redacted:
    """Text with secrets replaced, and how many were."""

    text: str
    count: int


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detect_secrets_config() -> dict[str, object]:
    return {"plugins_used": _PLUGINS}


@lru_cache(maxsize=16384)
def _secrets_in_line(line: str) -> tuple[str, ...]:
    """Secret values detect-secrets finds in one line (cached: lines repeat as users type)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    found: list[str] = []
    with _lock, transient_settings(_detect_secrets_config()):
        for secret in scan_line(line):
            value = secret.secret_value
            if value and len(value) >= 4 and value != PLACEHOLDER:
                found.append(value)
    return tuple(sorted(set(found), key=len, reverse=True))


def _sub_group(pattern: re.Pattern[str], text: str, group: int) -> tuple[str, int]:
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        if m.group(group) == PLACEHOLDER:
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

    def key_block(m: re.Match[str]) -> str:
        nonlocal total
        total += 1
        return f"{m.group(1)}\n{PLACEHOLDER}\n{m.group(5)}"

    text = _PRIVATE_KEY.sub(key_block, text)
    for pattern, group in (
        (_ENV_LINE, 3),
        (_QUOTED, 3),
        (_CONFIG_LINE, 3),
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
