"""Build the JavaScript/TypeScript corpus on a machine with npm, compressed for carrying.

    npm install --ignore-scripts --prefix /tmp/jsdeps <packages...>
    python -m qwen_lsp.training.js_corpus --node-modules /tmp/jsdeps/node_modules --out .carry/js_corpus

Writes ``train.jsonl.xz``, ``heldout.jsonl.xz`` and ``manifest.json`` (packages, versions,
licences, files, bytes, drop reasons) and copies ``HumanEval.jsonl.gz`` next to the folder
(``.carry/``) for the GPU job's contamination check and evaluation. ``--max-mib`` caps the
compressed size (the carry limit is 64 MiB per call, shared with anything else carried): when
the corpus is larger (estimated from a sample's ratio), whole training packages are left out,
largest first, and recorded.
"""

from __future__ import annotations

import argparse
import json
import lzma
import shutil
import sys
from pathlib import Path

from qwen_lsp.training.corpus import build_corpus, find_humaneval, npm_packages


def compress(src: Path, dst: Path, preset: int = 9) -> int:
    """xz-compress ``src`` to ``dst``; returns the compressed size."""
    with open(src, "rb") as f, lzma.open(dst, "wb", preset=preset | lzma.PRESET_EXTREME) as g:
        shutil.copyfileobj(f, g, 1 << 20)
    return dst.stat().st_size


def main(argv: list[str] | None = None) -> int:
    """Build, cap and compress the corpus."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/js_corpus_build")
    ap.add_argument("--heldout-fraction", type=float, default=0.04)
    ap.add_argument("--max-mib", type=float, default=40.0)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    work, out = Path(args.work), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sources = npm_packages(args.node_modules)
    print(
        f"{len(sources)} npm packages, {sum(len(s.files) for s in sources)} candidate files",
        flush=True,
    )
    manifest = build_corpus(
        sources,
        work,
        "javascript",
        heldout_fraction=args.heldout_fraction,
        workers=args.workers,
        humaneval=None,
    )
    print(json.dumps(manifest["totals"]), flush=True)
    # Cap the compressed size: estimate the ratio on a sample, leave out the largest training
    # packages (never held-out ones) until the estimate fits, then compress once.
    held_size = compress(work / "heldout.jsonl", out / "heldout.jsonl.xz.tmp")
    raw = (work / "train.jsonl").stat().st_size
    with open(work / "train.jsonl", "rb") as f:
        sample = f.read(16 << 20)
    ratio = len(lzma.compress(sample, preset=9 | lzma.PRESET_EXTREME)) / max(1, len(sample))
    limit = args.max_mib * 2**20 * 0.98 - held_size
    left_out: list[str] = []
    src = work / "train.jsonl"
    if raw * ratio > limit * 0.97:
        sizes: dict[str, int] = {}
        with open(src, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                sizes[rec["package"]] = sizes.get(rec["package"], 0) + len(line.encode())
        total = sum(sizes.values())
        for name, n in sorted(sizes.items(), key=lambda x: -x[1]):
            if total * ratio <= limit * 0.97:
                break
            left_out.append(name)
            total -= n
        drop = set(left_out)
        src = work / "train.capped.jsonl"
        with (
            open(work / "train.jsonl", encoding="utf-8") as f,
            open(src, "w", encoding="utf-8") as g,
        ):
            for line in f:
                if json.loads(line)["package"] not in drop:
                    g.write(line)
        for p in manifest["packages"]:
            if p["name"] in drop:
                p["split"] = "left-out (carry size cap)"
        manifest["left_out_for_size"] = left_out
    size = compress(src, out / "train.jsonl.xz.tmp")
    # Replace the carried files only when both are complete.
    (out / "train.jsonl.xz.tmp").replace(out / "train.jsonl.xz")
    (out / "heldout.jsonl.xz.tmp").replace(out / "heldout.jsonl.xz")
    manifest["compressed_bytes"] = {"train.jsonl.xz": size, "heldout.jsonl.xz": held_size}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    he = find_humaneval()
    dest = out.parent / "HumanEval.jsonl.gz"
    if he is not None and not (dest.exists() and dest.resolve() == he.resolve()):
        shutil.copyfile(he, dest)
    print(
        json.dumps({"compressed": manifest["compressed_bytes"], "left_out": left_out}), flush=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
