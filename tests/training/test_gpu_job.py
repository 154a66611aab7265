"""The GPU job's plumbing: split/join, weight packs, and (opt-in) the whole chain in smoke mode."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from qwen_lsp.training.gpu_job import (
    JOIN_SH,
    PART_BYTES,
    init_from_module,
    pack_weights,
    split_file,
    unpack_weights,
)
from qwen_lsp.training.humaneval import load_tasks
from qwen_lsp.training.model import PRESETS, QwenDecoder, load_hf, save_hf

REPO = Path(__file__).resolve().parents[2]


def test_split_and_join(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    data = os.urandom(PART_BYTES * 2 + 123)
    big.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    names = split_file(big, out, "model.onnx")
    assert names == ["model.onnx.part00", "model.onnx.part01", "model.onnx.part02"]
    assert all((out / n).stat().st_size <= PART_BYTES for n in names)
    (out / "join.sh").write_text(JOIN_SH)
    subprocess.run(["sh", str(out / "join.sh")], check=True, capture_output=True)
    assert (out / "model.onnx").read_bytes() == data
    small = tmp_path / "s.bin"
    small.write_bytes(b"abc")
    assert split_file(small, out, "s.bin") == ["s.bin"]


@pytest.mark.parametrize("int8", [False, True])
def test_weight_pack_round_trip(tmp_path: Path, int8: bool) -> None:
    shape = dataclasses.replace(PRESETS["tiny"], vocab_size=300)
    m = QwenDecoder(shape)
    m.init_weights(seed=1)
    save_hf(m, tmp_path / "w")
    names = pack_weights(
        tmp_path / "w", tmp_path / "pack", "python-weights", int8, {"step": 7, "tokens": 99}
    )
    assert "python-weights.json" in names
    back = load_hf(unpack_weights(tmp_path / "pack", tmp_path / "restored"))
    assert json.loads((tmp_path / "restored" / "state.json").read_text())["step"] == 7
    for (k, a), (_, b) in zip(m.hf_state_dict().items(), back.hf_state_dict().items(), strict=True):
        tol = 0.01 if int8 else 0.004  # int8 per row / bf16 rounding
        assert (a - b).abs().max() <= tol * a.abs().max() + 1e-6, k


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("QWEN_LSP_TRAINING_SMOKE"),
    reason="set QWEN_LSP_TRAINING_SMOKE=1 (about 3 minutes)",
)
@pytest.mark.parametrize("qat", [False, True])
def test_smoke_chain(tmp_path: Path, qat: bool) -> None:
    """prepare -> launch (detached) -> wait -> finalize, exactly as on the GPU machine; with
    ``qat`` a quantization-aware run, which finalize rounds on its own grid."""
    work, out = tmp_path / "work", tmp_path / "out"
    job = [sys.executable, str(REPO / "qwen_lsp" / "training" / "gpu_job.py"), "--work", str(work)]

    def run(*args: str) -> str:
        r = subprocess.run([*job, *args], capture_output=True, text=True, timeout=600, cwd=REPO)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    run("prepare", "--lang", "python", "--smoke")
    extra = ["--config", json.dumps({"qat_block_size": 64})] if qat else []
    run("launch", "--lang", "python", "--smoke", "--minutes", "0.7", *extra)
    run("wait", "--minutes", "3", "--every", "10")
    assert (work / "python" / "run" / "DONE").read_text() == "deadline"
    run("finalize", "--lang", "python", "--smoke", "--out", str(out), "--wait-max", "60")
    assert (out / "python-model.onnx").exists() and (out / "python-meta.tar.xz").exists()
    fin = json.loads((work / "python" / "finalize.json").read_text())
    assert fin["report"]["onnx_vs_torch"]["max_abs_diff_cached"] < 1e-3
    assert "spm" in fin["evals"]["torch"]
    if qat:
        assert fin["args"]["rounding"] == "qat"
        log = (work / "python" / "run" / "train_log.jsonl").read_text()
        assert '"qat_block_size": 64' in log


def test_a_run_starts_from_a_shipped_module(tmp_path: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    """``launch --init-module``: the module's int4 weights, de-quantized, become the run's
    starting point with a fresh schedule; a module with another tokenizer is refused."""
    from qwen_lsp.training.module import build_module, state_dict_from_onnx

    shape = dataclasses.replace(
        PRESETS["tiny"], vocab_size=tokenizer.get_vocab_size(), hidden_size=128
    )
    m = QwenDecoder(shape)
    m.init_weights(seed=3)
    tok_path = tmp_path / "tokenizer.json"
    tokenizer.save(str(tok_path))
    build_module(m, tok_path, tmp_path / "mod", name="t", languages=["python"], fuse=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "tokenizer.json").write_bytes(tok_path.read_bytes())

    init = init_from_module(tmp_path / "mod", tmp_path / "init", data)
    assert not (init / "state.json").exists()  # no resumed counters: warm-up and schedule anew
    expected = state_dict_from_onnx(tmp_path / "mod" / "model.onnx")
    got = load_hf(init).hf_state_dict()
    assert set(expected) <= set(got)
    for k, v in expected.items():
        assert got[k].numpy().tobytes() == v.astype("float32").tobytes(), k
    # the int4 rounding is there: the start is the shipped weights, not the original ones
    w = "model.layers.0.mlp.down_proj.weight"
    assert not bool((got[w] == m.hf_state_dict()[w]).all())

    (data / "tokenizer.json").write_text(tok_path.read_text().replace('"<|file_sep|>"', '"<|x|>"'))
    with pytest.raises(SystemExit, match="another tokenizer"):
        init_from_module(tmp_path / "mod", tmp_path / "init2", data)


def _site_tar(tmp_path: Path) -> Path:
    """A one-distribution site-packages tree, packed like ``.carry/py_extra.tar.xz``."""
    import tarfile
    import textwrap

    site = tmp_path / "py_extra"
    pkg, info = site / "tidyqueue", site / "tidyqueue-1.2.dist-info"
    pkg.mkdir(parents=True)
    info.mkdir()
    body = textwrap.dedent(
        '''
        """A small bounded queue."""


        class TidyQueue:
            """First in, first out, with a capacity."""

            def __init__(self, capacity: int) -> None:
                self.capacity = capacity
                self.items: list[object] = []

            def push(self, item: object) -> bool:
                """Add ``item`` unless the queue is full."""
                if len(self.items) >= self.capacity:
                    return False
                self.items.append(item)
                return True
        '''
    )
    (pkg / "__init__.py").write_text(body)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tidyqueue\nVersion: 1.2\nLicense-Expression: MIT\n"
    )
    (info / "RECORD").write_text(
        "tidyqueue/__init__.py,,\ntidyqueue-1.2.dist-info/METADATA,,\n"
        "tidyqueue-1.2.dist-info/RECORD,,\n"
    )
    tar_path = tmp_path / "py_extra.tar.xz"
    with tarfile.open(tar_path, "w:xz") as tar:
        tar.add(site, arcname="py_extra")
    return tar_path


def test_prepare_adds_a_carried_site_tree(tmp_path: Path) -> None:
    """``prepare --extra-site X.tar.xz``: the carried distributions join the Python corpus with
    their licence read from their own metadata."""
    work = tmp_path / "work"
    job = [sys.executable, str(REPO / "qwen_lsp" / "training" / "gpu_job.py"), "--work", str(work)]
    tar_path = _site_tar(tmp_path)
    cmd = [*job, "prepare", "--lang", "python", "--smoke", "--extra-site", str(tar_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = json.loads((work / "python" / "corpus" / "manifest.json").read_text())
    packages = manifest["packages"]
    entry = (packages if isinstance(packages, dict) else {p["name"]: p for p in packages})[
        "tidyqueue"
    ]
    assert entry["license_ok"] and entry["files"] == 1 and entry["version"] == "1.2"
    corpus = work / "python" / "corpus"
    texts = [
        json.loads(line)
        for name in ("train.jsonl", "heldout.jsonl")
        if (corpus / name).exists()
        for line in (corpus / name).read_text().splitlines()
    ]
    assert any("class TidyQueue" in rec["text"] for rec in texts)
    # The dev set: lines in the bodies of the held-out packages' documented short functions.
    report = json.loads((work / "python" / "prepare.json").read_text())
    dev = load_tasks(work / "python" / "eval" / "heldout_functions.jsonl")
    assert report["heldout_function_tasks"] == len(dev) > 0
    assert {t.task_id.split("/", 1)[0] for t in dev} <= set(manifest["heldout_packages"])
    # The committed bench's 42 packages are held out whatever this corpus holds.
    assert report["bench_heldout_packages"] == 42
    # A missing tree is a clear error, not a corpus without it.
    cmd[-1] = str(tmp_path / "absent.tar.xz")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode != 0 and "no extra site tree" in r.stderr


def test_the_code_copy_imports_without_the_engine(tmp_path: Path) -> None:
    """The GPU machine runs a copy of the training package alone (``_install_code``): every
    module finalize and training import must load there without ``qwen_lsp.engine``."""
    work = tmp_path / "work"
    job = [sys.executable, str(REPO / "qwen_lsp" / "training" / "gpu_job.py"), "--work", str(work)]
    r = subprocess.run([*job, "status"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    code = work / "code"
    assert (code / "qwen_lsp" / "training" / "module.py").exists()
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import qwen_lsp.training.module, qwen_lsp.training.export, qwen_lsp.training.quantize,"
        " qwen_lsp.training.train, qwen_lsp.training.humaneval, qwen_lsp.training.fuse,"
        " qwen_lsp.training.qat;"
        "assert qwen_lsp.__file__.startswith(sys.argv[1]), qwen_lsp.__file__;"
        "assert 'qwen_lsp.engine' not in sys.modules"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe, str(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_launch_config_inline_or_from_a_file(tmp_path: Path) -> None:
    """--config takes a JSON object inline (however long: run 5's did not fit in a file name)
    or a file holding one."""
    import argparse

    from qwen_lsp.training.gpu_job import _train_config

    overrides = {
        "lr": 2e-4,
        "min_lr_ratio": 0.0,
        "fim": {"score_boost": 4.0, "span_weights": {f"mode{i}": 0.1 for i in range(30)}},
    }
    inline = json.dumps(overrides)
    assert len(inline) > 255  # longer than a file name may be
    args = argparse.Namespace(preset="int4-50m", eval_every_minutes=4.0, smoke=False)
    cfg = _train_config(argparse.Namespace(**vars(args), config=inline), tmp_path, 0.0)
    assert cfg["fim"] == overrides["fim"] and cfg["lr"] == 2e-4
    path = tmp_path / "anneal.json"
    path.write_text(inline)
    assert _train_config(argparse.Namespace(**vars(args), config=str(path)), tmp_path, 0.0) == cfg


def test_pack_calibration_keeps_real_training_windows(token_dir: Path, tmp_path: Path) -> None:
    """The calibration pack holds evenly spaced windows of the training split, readable as a
    token folder (what the GPTQ calibration reads on the CPU machine)."""
    from qwen_lsp.training.data import TokenData
    from qwen_lsp.training.gptq import calibration_windows
    from qwen_lsp.training.gpu_job import pack_calibration

    names = pack_calibration(token_dir, tmp_path / "calib", windows=6, length=64)
    assert {"train.tokens.u16", "train.docs.npy", "tokenizer.json"} <= set(names)
    packed = TokenData.open(tmp_path / "calib", "train")
    source = TokenData.open(token_dir, "train")
    assert packed.docs.shape == (6, 5)
    for (start, length, *_), window in zip(packed.docs, source.windows(6, 64), strict=True):
        assert packed.tokens[start : start + length].tolist() == window
    assert calibration_windows(tmp_path / "calib", n=3, length=64)


def test_pack_weights_takes_a_second_stage_folder(tmp_path: Path) -> None:
    """A second stage on the same machine writes to its own folder; ``--weights`` names it."""
    from qwen_lsp.training.gpu_job import main

    run = tmp_path / "work" / "python" / "run"
    shape = dataclasses.replace(PRESETS["tiny"], vocab_size=300)
    for seed, folder in ((1, run / "final"), (2, tmp_path / "work" / "python" / "run12" / "final")):
        m = QwenDecoder(shape)
        m.init_weights(seed=seed)
        save_hf(m, folder)
    work = ["--work", str(tmp_path / "work")]
    for weights, seed in (("final", 1), ("../run12/final", 2)):
        out = tmp_path / f"out-{seed}"
        main([*work, "pack-weights", "--lang", "python", "--weights", weights, "--out", str(out)])
        back = load_hf(unpack_weights(out, tmp_path / f"back-{seed}"))
        want = QwenDecoder(shape)
        want.init_weights(seed=seed)
        a, b = want.hf_state_dict(), back.hf_state_dict()
        assert all((a[k] - b[k]).abs().max() <= 0.004 * a[k].abs().max() + 1e-6 for k in a)
    with pytest.raises(SystemExit, match="no weights folder"):
        main([*work, "pack-weights", "--lang", "python", "--weights", "nowhere", "--out", str(out)])


def test_the_committed_benchs_packages_stay_held_out(tmp_path: Path) -> None:
    from qwen_lsp.training.gpu_job import REPO
    from qwen_lsp.training.humaneval import InfillTask, bench_heldout_packages, save_tasks

    committed = bench_heldout_packages(str(REPO / "bench" / "data" / "heldout_python.jsonl.gz"))
    # The committed file's 500 lines come from 42 held-out packages, Flask and parso among them.
    assert len(committed) == 42 and {"Flask", "parso"} <= committed
    plain = tmp_path / "tasks.jsonl"
    save_tasks([InfillTask("pkg-a/x.py#3", "p", "s", "t", "x.py")], plain)
    assert bench_heldout_packages(str(plain)) == {"pkg-a"}
    assert bench_heldout_packages("none") == set()
    # npm's scoped names are one package.
    scoped = tmp_path / "scoped.jsonl"
    save_tasks([InfillTask("@scope/lib/index.js#9", "p", "s", "t", "index.js")], scoped)
    assert bench_heldout_packages(str(scoped)) == {"@scope/lib"}
    with pytest.raises(SystemExit, match="no line-task file"):
        bench_heldout_packages(str(tmp_path / "missing.jsonl.gz"))
