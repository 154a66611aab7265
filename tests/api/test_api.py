"""The Python API: ``LocalEngine`` over the embedded module and the fixture model, through the
server's completion path; streaming comes from the decode loop and adds up to the answer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qwen_lsp import LocalEngine
from qwen_lsp.api import EngineError
from qwen_lsp.completion.service import CompletionQuery, CompletionService
from qwen_lsp.config import Settings, merge
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO

FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen2"
README_EXAMPLE = "def calculate_discount(price, discount_rate):\n    "
# The embedded model writes this body in two lines: something to stream.
TWO_LINES = "class Point:\n    def __init__(self, x, y):\n        "
# The fixture's output is noise: no syntax check, multi-line, so that a long text comes out.
NOISE = {
    "completion": {
        "syntaxCheck": False,
        "nameCheck": False,
        "minChars": 0,
        "multiline": "always",
    }
}


def _service_text(context: str, model: Path | None, **completion) -> str | None:
    """What the completion service (the server's path) answers for the same document."""
    overrides: dict = {"completion": {"maxTokens": 50, **completion}}
    if model is not None:
        overrides["models"] = {"byLanguage": {"python": str(model)}}
    settings, problems = merge(Settings(), overrides)
    assert problems == []
    doc = Document("file:///api/check.py", context, 0, default_registry().by_id("python"))
    service = CompletionService()
    try:
        found = service.complete_sync(
            CompletionQuery(doc.uri, doc.snapshot(), len(context.encode()), settings)
        )
    finally:
        service.close()
    return found.text if found else None


def test_import_is_light_and_the_engine_is_exported_lazily():
    code = (
        "import sys, qwen_lsp\n"
        "assert 'onnxruntime' not in sys.modules and 'qwen_lsp.api' not in sys.modules\n"
        "from qwen_lsp import LocalEngine\n"
        "assert 'qwen_lsp.api' in sys.modules and LocalEngine.__name__ == 'LocalEngine'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_readme_example_with_the_embedded_module():
    with LocalEngine() as engine:
        text = engine.complete(README_EXAMPLE)
        assert engine.model_name("python") == "qwen-lsp-python"
        assert engine.last_run["model"] == "qwen-lsp-python"
    assert text.strip(), "the embedded model suggests something for the README example"
    compile(README_EXAMPLE + text + "\n", "<example>", "exec")  # it parses as a body
    assert text == _service_text(README_EXAMPLE, None)


def test_streaming_yields_lines_while_decoding_and_adds_up_to_the_answer():
    with LocalEngine() as streaming:
        pieces = streaming.stream(TWO_LINES, max_tokens=64)
        first = next(pieces)
        # The first line arrives before the generation has finished (no run recorded yet).
        assert streaming.last_run is None
        rest = list(pieces)
        assert streaming.last_run is not None and streaming.last_run["suggested"]
    with LocalEngine() as whole:
        answer = whole.complete(TWO_LINES, max_tokens=64)
    assert len(rest) >= 1, "a two-line suggestion comes in more than one piece"
    assert first + "".join(rest) == answer
    assert "\n" in answer


def test_the_fixture_model_by_folder_onnx_file_and_hub_layout(tmp_path: Path):
    hub = tmp_path / "hub"
    (hub / "onnx").mkdir(parents=True)
    shutil.copy(FIXTURE / "config.json", hub / "config.json")
    shutil.copy(FIXTURE / "tokenizer.json", hub / "tokenizer.json")
    shutil.copy(FIXTURE / "model.onnx", hub / "onnx" / "model.onnx")
    context = "def area(width, height):\n    "
    expected = _service_text(context, FIXTURE, **NOISE["completion"])
    assert expected, "the fixture model produces some text here"
    for source in (FIXTURE, FIXTURE / "model.onnx", hub):
        with LocalEngine(source, settings=NOISE) as engine:
            assert engine.complete(context) == expected, source
        with LocalEngine(source, settings=NOISE) as engine:
            pieces = list(engine.stream(context))
            assert "".join(pieces) == expected, source
            assert len(pieces) > 1  # the noise is many lines long: streamed line by line


def test_closing_a_stream_early_cancels_the_generation():
    with LocalEngine(FIXTURE, settings=NOISE) as engine:
        pieces = engine.stream("def area(width, height):\n    ", max_tokens=400)
        next(pieces)
        pieces.close()
        assert engine.service.scheduler.stats.jobs == 1
        # The next request runs at once: the cancelled one does not hold the scheduler.
        assert isinstance(engine.complete("x = 1\n", max_tokens=4), str)
    assert engine.service.scheduler.stats.cancelled >= 1


def test_errors_are_clear():
    with pytest.raises(ValueError, match="device"):
        LocalEngine(device="tpu")
    with pytest.raises(FileNotFoundError):
        LocalEngine("/no/such/module")
    with pytest.raises(ValueError, match="invalid settings"):
        LocalEngine(settings={"completion": {"maxTokens": -3}})
    with LocalEngine() as engine:
        with pytest.raises(EngineError, match="no model module serves 'rust'"):
            engine.complete("fn main() {\n    ", language="rust")
        with pytest.raises(ValueError, match="unknown language"):
            engine.complete("x", language="klingon")
    with pytest.raises(EngineError, match="closed"):
        engine.complete("x = 1")


def test_project_context_comes_from_the_index(shop: Path):
    context = "from .pricing import with_vat\n\n\ndef gross_total(prices):\n    return with_vat("
    with LocalEngine(FIXTURE, project=shop, settings=NOISE) as engine:
        engine.complete(context, path=shop / "shop" / "totals.py")
        assert engine.last_run is not None
        assert "shop/pricing.py" in engine.last_run["snippets"]
