"""What may leave the machine: secrets of every kind are redacted, ordinary code is left alone
(checked on real standard-library sources), and files that are gitignored, excluded, secret by
name, outside the workspace or reached through a symlink out of it are never quoted."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from qwen_lsp.security.redact import PLACEHOLDER, ContextPolicy, redact

# Built from pieces so that secret scanners do not flag this test file itself.
GH = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
OPENAI = "sk-" + "proj-abcdEFGHijklMNOPqrstUVWXyz0123456789ABCDEFGHij"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
KEY_BODY = "MIIEowIBAAKCAQEA1c7abcDEFghiJKLmnoPQRstuVWXyz0123456789"

CASES = [
    ("aws key id", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"', AWS_ID),
    ("aws secret", f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET),
    ("github token", f"headers = {{'Authorization': 'token {GH}'}}", GH),
    ("slack token", f'SLACK = "{SLACK}"', SLACK),
    ("stripe key", f'stripe.api_key = "{STRIPE}"', STRIPE),
    ("openai key", f"client = OpenAI(api_key='{OPENAI}')", OPENAI),
    ("jwt", f'session = "{JWT}"', JWT.split(".")[2]),
    ("env password", "DB_PASSWORD=hunter2", "hunter2"),
    ("env token", "export API_TOKEN=abcdef123456", "abcdef123456"),
    ("yaml password", "  password: Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("quoted password", 'password = "correct horse battery"', "correct horse battery"),
    ("json secret", '{"client_secret": "9f8e7d6c5b4a"}', "9f8e7d6c5b4a"),
    ("url userinfo", "DATABASE_URL=postgres://admin:s3cr3tP4ss@db:5432/shop", "s3cr3tP4ss"),
    (
        "sqlalchemy url",
        'create_engine("mysql+pymysql://root:Sup3rS3cret@localhost/app")',
        "Sup3rS3cret",
    ),
    (
        "ado string",
        'conn = "Server=tcp:db;Database=shop;User Id=sa;Password=Pa55word!;"',
        "Pa55word!",
    ),
    (
        "query param",
        'url = "https://api.example.com/v1?api_key=ZXhhbXBsZWtleTEy&q=1"',
        "ZXhhbXBsZWtleTEy",
    ),
    (
        "private key",
        f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n",
        KEY_BODY,
    ),
    ("private key cut by the window", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}", KEY_BODY),
]


@pytest.mark.parametrize(("kind", "text", "secret"), CASES, ids=[c[0] for c in CASES])
def test_secrets_are_redacted(kind: str, text: str, secret: str) -> None:
    result = redact(f"import os\n\n{text}\nprint('done')\n")
    assert secret not in result.text, kind
    assert PLACEHOLDER in result.text and result.count >= 1
    assert result.text.startswith("import os\n\n") and result.text.endswith("print('done')\n")


@pytest.mark.parametrize(
    "line",
    [
        "password = getpass.getpass()",
        "token = request.headers['Authorization']",
        "token_type = 'unstructured'",
        "self.secret_key_file = os.path.join(home, '.key')",
        "def login(user, password):",
        "    connect(host, password=password)",
        "tokenizer = Tokenizer.from_file(path)",
    ],
)
def test_code_about_secrets_is_not_a_secret(line: str) -> None:
    assert redact(line).text == line


def test_ordinary_code_passes_unchanged() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [*sorted((stdlib / "email").glob("*.py")), stdlib / "ftplib.py", stdlib / "imaplib.py"]
    changed = []
    total = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        out = redact(text).text
        for a, b in zip(text.split("\n"), out.split("\n"), strict=True):
            total += 1
            if a != b:
                changed.append(f"{path.name}: {a.strip()}")
    assert total > 10_000
    assert changed == [], changed


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src" / "generated").mkdir(parents=True)
    (root / "notes").mkdir()
    (root / ".gitignore").write_text("notes/\n*.local.py\n")
    (root / "src" / ".gitignore").write_text("generated/\n")
    for rel in (
        "src/app.py",
        "src/settings.local.py",
        "src/generated/api.py",
        "notes/todo.py",
        ".env",
        "config/.env.production",
        "deploy/server.pem",
        "src/vendor_copy.py",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n")
    return root


def test_context_policy(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    outside = tmp_path / "elsewhere.py"
    outside.write_text("y = 2\n")
    (root / "src" / "link.py").symlink_to(outside)
    policy = ContextPolicy(root, ["src/vendor_copy.py"])
    assert policy.allowed(root / "src" / "app.py")
    assert policy.allowed("src/app.py")  # relative to the root
    for rel in (
        "src/settings.local.py",  # root .gitignore pattern
        "src/generated/api.py",  # nested .gitignore
        "notes/todo.py",  # ignored folder
        ".env",
        "config/.env.production",
        "deploy/server.pem",
        "src/vendor_copy.py",  # index.exclude
        "src/link.py",  # a symlink leading out
        "src/missing.py",  # not a file
    ):
        assert not policy.allowed(rel), rel
    assert not policy.allowed(outside)
    assert not policy.allowed("../elsewhere.py")
    assert policy.allowed("src/new_file.py", must_exist=False)  # an unsaved document
    assert not ContextPolicy(None).allowed(root / "src" / "app.py")
