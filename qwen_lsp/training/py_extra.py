"""Build the extra Python corpus tree on the CPU machine, compressed in parts for carrying.

    python -m qwen_lsp.training.py_extra --packages qwen_lsp/training/py_packages.txt \\
        --out .carry --part-mib 38

downloads each listed distribution as a wheel (``pip download --no-deps --only-binary=:all:``;
the network is used here, at build time, never by the server or the tests), unpacks only its
``.py`` files and the ``*.dist-info`` metadata (METADATA, RECORD, licence files), runs the corpus
builder over the tree to drop what the GPU job would drop anyway (non-permissive licences,
generated, minified, vendored, duplicate, HumanEval-contaminated files), and writes the pruned
tree as ``py_extra.tar.xz`` split into parts ``<out>/pyx<N>/py_extra.tar.xz.part<N>`` (one part
per carry: a call carries at most 64 MiB with the working tree), with ``py_extra.sha256``.

On the GPU machine: ``cat`` the parts into one file and pass it to
``gpu_job.py prepare --lang python --extra-site FILE`` (GPU_RUNBOOK.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qwen_lsp.training.corpus import build_corpus, find_humaneval, python_site_packages


def read_package_list(path: Path) -> list[str]:
    """Names in a package list (one per line, ``#`` comments)."""
    names = []
    for line in path.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def download_wheels(names: list[str], dest: Path, jobs: int = 8) -> list[str]:
    """``pip download`` each name as a wheel into ``dest``; returns the names that failed."""
    dest.mkdir(parents=True, exist_ok=True)

    def one(name: str) -> str | None:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
        cmd += ["--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp"]
        for plat in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"):
            cmd += ["--platform", plat]
        cmd += ["--platform", "any", "-d", str(dest), name]
        r = subprocess.run(cmd, capture_output=True, text=True)
        return None if r.returncode == 0 else name

    with ThreadPoolExecutor(jobs) as pool:
        return [n for n in pool.map(one, names) if n]


def _kept_member(name: str) -> bool:
    parts = name.split("/")
    if name.endswith("/"):
        return False
    if name.endswith(".py"):
        return True
    last = parts[-1].upper()
    in_info = len(parts) >= 2 and parts[-2].endswith(".dist-info")
    return in_info and (last in ("METADATA", "RECORD") or "LICEN" in last or "COPYING" in last)


def unpack_sources(wheels: list[Path], site: Path) -> int:
    """Unpack the ``.py`` files and distribution metadata of ``wheels`` into ``site``."""
    count = 0
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if _kept_member(name):
                    z.extract(name, site)
                    count += 1
    return count


def prune(site: Path, work: Path, workers: int | None = None) -> dict:
    """Delete every ``.py`` file of ``site`` that the corpus builder does not keep; returns the
    builder's manifest (what the GPU job will see, before its cross-tree de-duplication)."""
    manifest = build_corpus(
        python_site_packages([site]),
        work,
        "python",
        heldout_fraction=0.0,
        workers=workers,
        humaneval=find_humaneval() or False,
        log=lambda _msg: None,
    )
    kept = set()
    with open(work / "train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            kept.add(json.loads(line)["path"])
    for root, _dirs, files in os.walk(site):
        for f in files:
            path = Path(root) / f
            rel = path.relative_to(site).as_posix()
            if rel.endswith(".py") and rel not in kept:
                path.unlink()
    return manifest


def pack(site: Path, out: Path, part_bytes: int) -> list[Path]:
    """``site`` as one ``py_extra.tar.xz`` (top folder ``py_extra``) in carry-sized parts."""
    out.mkdir(parents=True, exist_ok=True)
    whole = out / "py_extra.tar.xz"
    with tarfile.open(whole, "w:xz", preset=6) as tar:
        tar.add(site, arcname="py_extra")
    digest = hashlib.sha256(whole.read_bytes()).hexdigest()
    parts = []
    with open(whole, "rb") as fh:
        i = 0
        while chunk := fh.read(part_bytes):
            folder = out / f"pyx{i}"
            folder.mkdir(parents=True, exist_ok=True)
            part = folder / f"py_extra.tar.xz.part{i}"
            part.write_bytes(chunk)
            parts.append(part)
            i += 1
    (parts[-1].parent / "py_extra.sha256").write_text(f"{digest}  py_extra.tar.xz\n")
    whole.unlink()
    return parts


def main(argv: list[str] | None = None) -> int:
    """Download, unpack, prune, pack."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", type=Path, help="package list (one name per line)")
    ap.add_argument("--wheels", type=Path, default=Path("/tmp/py_extra_build/wheels"))
    ap.add_argument("--skip-download", action="store_true", help="use the wheels already there")
    ap.add_argument("--work", type=Path, default=Path("/tmp/py_extra_build"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--part-mib", type=float, default=38.0)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    if not args.skip_download:
        if args.packages is None:
            ap.error("--packages is required unless --skip-download")
        failed = download_wheels(read_package_list(args.packages), args.wheels)
        print(json.dumps({"download_failed": failed}), flush=True)
    wheels = sorted(args.wheels.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheels in {args.wheels}")
    site = args.work / "site"
    if site.exists():
        shutil.rmtree(site)
    files = unpack_sources(wheels, site)
    manifest = prune(site, args.work / "corpus", args.workers)
    parts = pack(site, args.out, int(args.part_mib * 2**20))
    (args.out / "py_extra_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(
        json.dumps(
            {
                "wheels": len(wheels),
                "unpacked_files": files,
                "kept": manifest["totals"],
                "parts": [str(p) for p in parts],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
