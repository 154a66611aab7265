"""Real remotes for the remote-backend tests: llama-cpp-python's OpenAI-compatible server, and
llama.cpp's own ``llama-server`` (for ``/infill``), both serving a GGUF converted at test time
from the embedded ``python`` module (``gguf_export``). ``.ci/run`` installs both; where one is
missing, the tests that need it skip and say why."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ..support import REPO

MODULE = REPO / "qwen_lsp" / "models" / "python"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def gguf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded python module as a Q8_0 GGUF (same completions as the engine's int4 graph
    where it was checked; built in another process, since the converter imports torch)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (.ci/run does)")
    pytest.importorskip("gguf", reason="the gguf package is not installed (.ci/run does)")
    cache = Path(os.environ.get("QWEN_LSP_GGUF_CACHE") or tmp_path_factory.mktemp("gguf"))
    code = (
        "from pathlib import Path; from tests.remote.gguf_export import module_gguf; "
        f"print(module_gguf(Path({str(MODULE)!r}), Path({str(cache)!r}), 'q8_0'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])


class ServerProcess:
    """A remote server process on a fixed port that can be killed and started again."""

    def __init__(self, argv: list[str], port: int, log: Path, ready_path: str) -> None:
        self.argv = argv
        self.port = port
        self.log = log
        self.ready_path = ready_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        """Start it and wait until it answers."""
        out = open(self.log, "ab")  # noqa: SIM115 - the process writes to it while it runs
        self.proc = subprocess.Popen(
            self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.argv[0]} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer in {timeout} s")

    def kill(self) -> None:
        """SIGKILL: the way a crashed or unplugged server goes."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def log_text(self) -> str:
        """What the server printed."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def llama_server(gguf_path: Path, tmp_path: Path):
    """llama-cpp-python's OpenAI-compatible server (``/v1/completions``), one thread."""
    port = free_port()
    server = ServerProcess(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            # One thread: with two, llama.cpp's OpenMP barrier stalls badly on a busy 2-core
            # machine (see bench/completion.py --llamacpp).
            "--n_threads",
            "1",
            "--n_threads_batch",
            "1",
        ],
        port,
        tmp_path / "llama-cpp-python.log",
        "/v1/models",
    )
    server.start()
    yield server
    server.kill()


def llama_server_binary() -> str | None:
    """llama.cpp's ``llama-server``: ``QWEN_LSP_LLAMA_SERVER``, the one ``.ci/run`` builds
    (``.llama.cpp/bin``, git-ignored), on PATH, or beside python."""
    candidates = [
        os.environ.get("QWEN_LSP_LLAMA_SERVER", ""),
        str(REPO / ".llama.cpp" / "bin" / "llama-server"),
        shutil.which("llama-server") or "",
        str(Path(sys.executable).parent / "llama-server"),
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@pytest.fixture
def llamacpp_native(gguf_path: Path, tmp_path: Path):
    """llama.cpp's own server (``/infill``, ``/completion``)."""
    binary = llama_server_binary()
    if binary is None:
        pytest.skip("llama.cpp's llama-server is not installed (.ci/run builds it)")
    port = free_port()
    server = ServerProcess(
        [
            binary,
            "-m",
            str(gguf_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            # /infill keeps input_extra chunks only within n_ctx - n_batch - 2 * n_predict
            # tokens: with the defaults (-c 2048, -b 2048) every chunk would be dropped.
            "-c",
            "4096",
            "-b",
            "512",
            "-t",
            "1",
            "-np",
            "1",
            "--no-webui",
        ],
        port,
        tmp_path / "llama-server.log",
        "/health",
    )
    server.start()
    yield server
    server.kill()
