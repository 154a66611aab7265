"""Nothing leaves the machine unless the remote backend is on.

A whole session (initialize with a workspace that gets indexed in worker processes, open,
diagnostics, a completion from the embedded model, document and workspace symbols, hover,
shutdown) runs with every socket call recorded: a ``sitecustomize`` on ``PYTHONPATH`` installs
an audit hook (``sys.addaudithook``) in the server and in every Python process it starts (the
index pool is spawned, so its workers load it too) that appends each ``socket.*`` event to a
file. The session sees no connect, send, name lookup or bind; the only socket is asyncio's
AF_UNIX self-pipe pair in the server (the index pool talks over pipes, not sockets). A second run puts the server in a
network namespace of its own (``unshare -n``, where the system allows it): nothing to reach, and
the session works the same.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .lsp_pipe import PipeServer

SITECUSTOMIZE = """
import json, os, socket, sys

_LOG = os.environ["QWEN_LSP_TEST_NET_LOG"]
_EVENTS = ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind",
           "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
           "socket.getnameinfo", "socket.__new__")


def _hook(event, args):
    if event not in _EVENTS:
        return
    family = None
    if event == "socket.__new__":
        family = args[1]
    elif args and isinstance(args[0], socket.socket):
        family = args[0].family
    line = {"pid": os.getpid(), "event": event, "family": int(family) if family is not None
            else None, "args": repr(args[1:] if event != "socket.__new__" else args[1:])[:200]}
    with open(_LOG, "a") as fh:
        fh.write(json.dumps(line) + "\\n")


sys.addaudithook(_hook)
with open(_LOG, "a") as fh:
    fh.write(json.dumps({"pid": os.getpid(), "event": "hooked", "argv": sys.argv[:3]}) + "\\n")
"""

SOURCE = "from shop.stats import best_seller\n\n\ndef cheapest(products):\n    \n"


def _workspace(shop: Path) -> Path:
    """The example shop plus enough files that the index parses them in worker processes."""
    extra = shop / "shop" / "generated"
    extra.mkdir()
    for n in range(80):
        (extra / f"mod{n}.py").write_text(f"def helper_{n}(x):\n    return x + {n}\n")
    return shop


def _session(srv: PipeServer, shop: Path) -> None:
    srv.initialize(_workspace(shop), {"index": {"workers": 2}, "completion": {"cacheSize": 0}})
    srv.wait(lambda: srv.call("workspace/symbol", {"query": "helper_79"}), 60, "the index")
    uri = (shop / "shop" / "cheap.py").as_uri()
    srv.open(uri, SOURCE)
    srv.wait(
        lambda: any(
            p["uri"] == uri for p in srv.notifications_of("textDocument/publishDiagnostics")
        ),
        30,
        "diagnostics",
    )
    result = srv.call(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": 4, "character": 4},
            "context": {"triggerKind": 1},
        },
        120,
    )
    assert result["items"] and result["items"][0]["insertText"].strip()  # the model answered
    symbols = srv.call("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in symbols] == ["cheapest"]
    srv.call(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}},
    )
    assert srv.shutdown() == 0
    assert srv.tracebacks() == []


def test_a_whole_session_makes_no_network_call(shop: Path, tmp_path: Path):
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.jsonl"
    env = {"PYTHONPATH": str(hook_dir), "QWEN_LSP_TEST_NET_LOG": str(log)}
    with PipeServer(env=env) as srv:
        _session(srv, shop)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    hooked = {e["pid"] for e in events if e["event"] == "hooked"}
    # The server and its index workers ran with the hook (spawned: one process each).
    assert srv.proc.pid in hooked and len(hooked) >= 2, events
    # asyncio's event loop makes one AF_UNIX socketpair (its self-pipe, to wake itself from
    # other threads): local, never connected anywhere. Everything else is a network call.
    self_pipe = [e for e in events if e["event"] == "socket.__new__" and e["family"] == 1]
    assert {e["pid"] for e in self_pipe} <= {srv.proc.pid} and len(self_pipe) <= 2
    network = [e for e in events if e["event"] != "hooked" and e not in self_pipe]
    assert network == [], "network calls in a local session:\n" + "\n".join(map(str, network))


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return (
            subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(not _unshare_works(), reason="no network namespaces here (unshare -n)")
def test_a_whole_session_works_in_a_network_namespace_of_its_own(shop: Path):
    command = ["unshare", "-n", sys.executable, "-m", "qwen_lsp", "serve"]
    with PipeServer(command=command) as srv:
        _session(srv, shop)
