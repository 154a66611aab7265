"""Turn the files a GPU ``finalize`` call returned into a shipped module folder.

    python -m qwen_lsp.training.install_module --from /path/to/files_at --lang python \\
        --dest qwen_lsp/models/python [--card MODEL_CARD.md]

Joins ``<lang>-model.onnx.partNN`` (or takes ``<lang>-model.onnx``), unpacks
``<lang>-meta.tar.xz``, checks the joined model against the SHA-256 and size that
``model.json`` recorded on the GPU machine, loads it in ONNX Runtime and runs one step, fuses an
int4 Qwen3 graph into ONNX Runtime's decoder ops (``fuse.py``; the GPU job cannot, since the
check runs the engine), then writes ``model.onnx``, ``tokenizer.json``, ``model.json``,
``config.json`` and ``MODEL_CARD.md`` into ``--dest``. The training records (log, eval curve,
corpus manifest, finalize report) go to ``--records`` when given (they are not package data).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

SHIPPED = ("model.onnx", "tokenizer.json", "model.json", "config.json", "MODEL_CARD.md")


def join_parts(src: Path, name: str, dest: Path) -> Path:
    """``src/name`` or the concatenation of ``src/name.partNN`` into ``dest``."""
    parts = sorted(src.glob(f"{name}.part[0-9][0-9]"))
    if (src / name).exists() and not parts:
        shutil.copyfile(src / name, dest)
        return dest
    if not parts:
        raise SystemExit(f"neither {name} nor {name}.part00 in {src}")
    with open(dest, "wb") as f:
        for p in parts:
            f.write(p.read_bytes())
    return dest


def smoke_run(model_path: Path) -> None:
    """One decoder step in ONNX Runtime, in either layout the engine loads: the plain export
    (``position_ids``, an empty past) or the fused graph (positions from the mask, a past
    buffer of fixed capacity that the step writes into)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    plain = "position_ids" in names
    feed: dict[str, np.ndarray] = {
        "input_ids": np.array([[10, 11, 12]], np.int64),
        "attention_mask": np.ones((1, 3), np.int64),
    }
    if plain:
        feed["position_ids"] = np.arange(3, dtype=np.int64)[None]
    for i in sess.get_inputs():
        if i.name.startswith("past_key_values."):
            feed[i.name] = np.zeros((1, i.shape[1], 0 if plain else 8, i.shape[3]), np.float32)
    logits = sess.run(["logits"], feed)[0]
    if not np.isfinite(logits).all():
        raise SystemExit("the model produced non-finite logits")


def install(
    src: Path,
    lang: str,
    dest: Path,
    card: Path | None = None,
    records: Path | None = None,
    fuse: bool = True,
    orders: list[str] | None = None,
) -> dict[str, object]:
    """Install the module; returns the manifest. ``orders`` re-ranks the manifest's prompt
    orders (best first: the engine uses the first), e.g. from ``bench/quality.py`` scores."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        with tarfile.open(src / f"{lang}-meta.tar.xz") as tar:
            tar.extractall(t, filter="data")
        join_parts(src, f"{lang}-model.onnx", t / "model.onnx")
        manifest = json.loads((t / "model.json").read_text())
        for name, meta in manifest["files"].items():
            data = (t / name).read_bytes()
            if len(data) != meta["size"] or hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise SystemExit(f"{name} does not match model.json (incomplete parts?)")
        smoke_run(t / "model.onnx")
        if orders:
            known = set(manifest["fim"]["orders"])
            if set(orders) != known:
                raise SystemExit(f"--orders must rank exactly {sorted(known)}")
            manifest["fim"]["orders"] = orders
            (t / "model.json").write_text(json.dumps(manifest, indent=1) + "\n")
        if fuse:
            from qwen_lsp.training.fuse import fusable, fuse_module, is_fused

            kind = (manifest.get("quantization"), manifest.get("architecture"))
            if fusable(*kind) and not is_fused(t / "model.onnx"):
                fuse_module(t)
                manifest = json.loads((t / "model.json").read_text())
        if card is not None:
            shutil.copyfile(card, t / "MODEL_CARD.md")
        dest.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED:
            if (t / name).exists():
                shutil.copyfile(t / name, dest / name)
        if records is not None:
            records.mkdir(parents=True, exist_ok=True)
            for p in t.iterdir():
                if p.name not in SHIPPED:
                    shutil.copyfile(p, records / p.name)
    return manifest


def main(argv: list[str] | None = None) -> int:
    """CLI."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", required=True, type=Path)
    ap.add_argument("--lang", required=True, choices=["python", "javascript"])
    ap.add_argument("--dest", required=True, type=Path)
    ap.add_argument(
        "--card", type=Path, default=None, help="final MODEL_CARD.md to ship instead of the draft"
    )
    ap.add_argument(
        "--records", type=Path, default=None, help="where to keep logs, curve and reports"
    )
    ap.add_argument("--no-fuse", action="store_true", help="ship the plain int4 graph")
    ap.add_argument(
        "--orders", default=None, help="prompt orders, best first (comma list, e.g. spm,psm)"
    )
    args = ap.parse_args(argv)
    m = install(
        args.src,
        args.lang,
        args.dest,
        args.card,
        args.records,
        fuse=not args.no_fuse,
        orders=args.orders.split(",") if args.orders else None,
    )
    print(
        json.dumps(
            {"installed": str(args.dest), "files": m["files"], "quantization": m["quantization"]},
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
