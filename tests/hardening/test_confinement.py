"""Confinement: nothing outside the workspace folders is read for a command, the index or a
prompt, and a model module's ONNX external data cannot lead out of its folder (the path
traversal class of CVE-2022-25882). Each refusal says what was refused and why.

Commands taking paths: ``qwen.explainLog`` (``{"path"}``/``{"uri"}``; the files a log's frames
name) and ``qwen.generateTests`` (``[uri, name]``). The others take an open document's URI
(answered from the session's buffers, never from disk) or nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import onnx
import pytest

from qwen_lsp.engine.module import ModuleUnsafeError, check_external_data, load_module, verify
from qwen_lsp.engine.registry import ModelRegistry

from .lsp_pipe import FIXTURE_MODEL, PipeServer, RpcError

INVALID_PARAMS = -32602
SECRET = "def secret_outside_function():\n    return 'TOKEN-OUTSIDE-THE-WORKSPACE'\n"
TRACE = """Traceback (most recent call last):
  File "{path}", line 2, in secret_outside_function
    return 'TOKEN-OUTSIDE-THE-WORKSPACE'
ZeroDivisionError: division by zero
"""


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace and, beside it, a folder outside it holding a secret file and a log."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "pkg").mkdir(parents=True)
    outside.mkdir()
    (ws / "pkg" / "app.py").write_text("def app():\n    return 1 / 0\n")
    (outside / "secret.py").write_text(SECRET)
    (outside / "app.log").write_text(TRACE.format(path=outside / "secret.py"))
    os.symlink(outside / "secret.py", ws / "pkg" / "linked_secret.py")
    os.symlink(outside, ws / "linked_dir")
    os.symlink(outside / "app.log", ws / "linked.log")
    return ws, outside


def _refused(srv: PipeServer, command: str, arguments: list) -> str:
    with pytest.raises(RpcError) as info:
        srv.call("workspace/executeCommand", {"command": command, "arguments": arguments})
    assert info.value.code == INVALID_PARAMS, info.value
    return str(info.value.message)


def test_commands_refuse_paths_outside_the_workspace(layout: tuple[Path, Path]):
    ws, outside = layout
    with PipeServer() as srv:
        srv.initialize(ws, {"index": {"enable": False}})
        explain = "qwen.explainLog"
        for argument in (
            {"path": str(outside / "app.log")},  # absolute, outside
            {"path": "../outside/app.log"},  # relative, climbing out
            {"path": "linked.log"},  # a link inside the workspace leading out
            {"path": str(ws / "linked_dir" / "app.log")},  # under a linked folder
            {"uri": (outside / "app.log").as_uri()},
        ):
            message = _refused(srv, explain, [argument])
            assert "outside the workspace folders" in message, message
            assert str(outside / "app.log") in message  # says which file, resolved
        shown = [m["message"] for m in srv.notifications_of("window/showMessage")]
        assert any("outside the workspace folders" in m for m in shown)
        # Generating tests for a file outside, directly or through a link: refused.
        for uri in ((outside / "secret.py").as_uri(), (ws / "pkg" / "linked_secret.py").as_uri()):
            message = _refused(srv, "qwen.generateTests", [uri, "secret_outside_function"])
            assert "outside the workspace folders" in message, message
        assert not list(ws.rglob("test_*.py"))
        # A log inside the workspace naming a file outside: that file is neither read nor
        # published; the same log for a file inside is (the control).
        (ws / "inside.log").write_text(TRACE.format(path=outside / "secret.py"))
        result = srv.call(
            "workspace/executeCommand",
            {"command": explain, "arguments": [{"path": "inside.log"}]},
        )
        assert result["files"] == []
        assert "TOKEN-OUTSIDE" not in json.dumps(result)
        (ws / "control.log").write_text(TRACE.format(path=ws / "pkg" / "app.py"))
        result = srv.call(
            "workspace/executeCommand",
            {"command": explain, "arguments": [{"path": "control.log"}]},
        )
        assert result["files"] == [(ws / "pkg" / "app.py").as_uri()]
        published = {p["uri"] for p in srv.notifications_of("textDocument/publishDiagnostics")}
        assert not any("outside" in uri or "linked" in uri for uri in published)
        assert srv.shutdown() == 0
    assert srv.tracebacks() == []


def test_the_index_does_not_follow_links_out_of_the_workspace(layout: tuple[Path, Path]):
    ws, _outside = layout
    with PipeServer() as srv:
        srv.initialize(ws, {"index": {"workers": 1}})
        srv.wait(lambda: srv.call("workspace/symbol", {"query": "app"}), 30, "the index")
        assert srv.call("workspace/symbol", {"query": "secret_outside_function"}) == []
        # A watched-file event for the link does not read it either.
        link = (ws / "pkg" / "linked_secret.py").as_uri()
        srv.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": link, "type": 2}]})
        srv.call("workspace/symbol", {"query": "x"})
        srv.wait(lambda: srv.call("workspace/symbol", {"query": "app"}), 5, "still indexed")
        assert srv.call("workspace/symbol", {"query": "secret_outside_function"}) == []
        logged = [m["message"] for m in srv.notifications_of("window/logMessage")]
        assert any("lead outside the workspace folder: not indexed" in m for m in logged), logged
        assert srv.shutdown() == 0
    assert srv.tracebacks() == []


# -- ONNX external data -------------------------------------------------------------------------


def _module_with_external_data(folder: Path, location: str, graph_dir: str = "") -> Path:
    """A copy of the fixture module whose weights are external data at ``location`` (the
    bytes placed where that location really points), the manifest hashes updated: only the
    location rule can refuse it."""
    shutil.copytree(FIXTURE_MODEL, folder)
    model = onnx.load(str(folder / "model.onnx"))
    graph_at = folder / graph_dir
    graph_at.mkdir(parents=True, exist_ok=True)
    onnx.save_model(
        model,
        str(graph_at / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    if graph_dir:
        (folder / "model.onnx").unlink()
    model = onnx.load(str(graph_at / "model.onnx"), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    onnx.save_model(model, str(graph_at / "model.onnx"))
    real = Path(location) if os.path.isabs(location) else graph_at / location
    real.parent.mkdir(parents=True, exist_ok=True)
    if real.resolve() != (graph_at / "weights.bin").resolve():
        shutil.move(str(graph_at / "weights.bin"), str(real))
    manifest = json.loads((folder / "model.json").read_text())
    rel = f"{graph_dir}/model.onnx" if graph_dir else "model.onnx"
    data = (graph_at / "model.onnx").read_bytes()
    manifest["model"] = rel
    manifest["files"].pop("model.onnx", None)
    manifest["files"][rel] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    (folder / "model.json").write_text(json.dumps(manifest, indent=2))
    return folder


@pytest.mark.parametrize(
    ("location", "graph_dir", "why"),
    [
        ("../stolen.bin", "", "points outside the module folder"),
        ("../../stolen.bin", "onnx", "points outside the module folder"),
        ("sub/../../stolen.bin", "", "points outside the module folder"),
        ("../w.bin", "onnx", "points outside the module folder"),
        ("/ABS/stolen.bin", "", "must be a relative path inside"),
    ],
    ids=["parent", "hub-parent-of-module", "dotdot-inside-name", "hub-beside-graph", "absolute"],
)
def test_external_data_leading_out_of_the_module_is_refused(
    tmp_path: Path, location: str, graph_dir: str, why: str
):
    location = location.replace("/ABS", str(tmp_path / "elsewhere"))
    folder = _module_with_external_data(tmp_path / "mods" / "evil", location, graph_dir)
    module = load_module(folder)
    with pytest.raises(ModuleUnsafeError, match=why):
        verify(module)
    with pytest.raises(ModuleUnsafeError, match=why):
        ModelRegistry().get(folder)


def test_external_data_through_a_link_leading_out_is_refused(tmp_path: Path):
    folder = _module_with_external_data(tmp_path / "mods" / "linked", "weights.bin")
    outside = tmp_path / "outside.bin"
    shutil.move(str(folder / "weights.bin"), str(outside))
    os.symlink(outside, folder / "weights.bin")
    with pytest.raises(ModuleUnsafeError, match="points outside the module folder"):
        check_external_data(folder / "model.onnx", folder)


def test_external_data_inside_the_module_loads_and_decodes(tmp_path: Path):
    # The control: the same construction, the weights beside the graph or below it, in a flat
    # and in a hub layout (onnx/model.onnx; ONNX Runtime itself refuses "../" from there).
    for name, location, graph_dir in (
        ("flat", "weights.bin", ""),
        ("hub", "data/w.bin", "onnx"),
    ):
        folder = _module_with_external_data(tmp_path / name, location, graph_dir)
        model = ModelRegistry().get(folder)
        assert model.tokenizer.encode("def f():")


def test_a_server_refuses_the_module_with_a_clear_message_and_keeps_serving(tmp_path: Path):
    folder = _module_with_external_data(tmp_path / "mods" / "evil", "../stolen.bin")
    ws = tmp_path / "ws"
    ws.mkdir()
    with PipeServer() as srv:
        srv.initialize(
            ws, {"index": {"enable": False}, "models": {"byLanguage": {"python": str(folder)}}}
        )
        uri = (ws / "a.py").as_uri()
        srv.open(uri, "def area(w, h):\n    return w * h\n\n\ndef per")
        result = srv.call(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": 4, "character": 7},
                "context": {"triggerKind": 1},
            },
        )
        assert result == {"items": []}
        shown = srv.wait(
            lambda: [
                m["message"]
                for m in srv.notifications_of("window/showMessage")
                if "outside the module folder" in m["message"]
            ],
            10,
            "the refusal",
        )
        assert "'../stolen.bin'" in shown[0] and "completions are off for python" in shown[0]
        symbols = srv.call("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        assert [s["name"] for s in symbols] == ["area"]
        assert srv.shutdown() == 0
    assert srv.tracebacks() == []
