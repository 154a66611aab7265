"""Build the committed dev set: HumanEval-like lines of the held-out packages.

    python -m qwen_lsp.training.devset --tasks bench/data/heldout_python.jsonl.gz \\
        --out bench/data/dev_python_functions.jsonl.gz

The packages are those of the committed held-out line tasks (held out of every training run
since run 3; ``gpu_job.py prepare`` keeps them out whatever else the corpus holds). Their wheels
are downloaded here (the network is used at build time only, never by the server or the tests)
and standard-library ones are read from this interpreter; the corpus builder's filters run over
them (licences, generated, vendored, duplicate files, HumanEval text); then
``humaneval.function_line_tasks`` takes lines from the bodies of documented short functions.

Why: HumanEval is the test set and must not choose between builds; the random held-out lines
are mostly library plumbing, which did not move with HumanEval. These lines are the kind the
product completes most and HumanEval asks for (a body under a signature and a docstring).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

from qwen_lsp.training.corpus import (
    PackageSource,
    build_corpus,
    find_humaneval,
    npm_packages,
    python_site_packages,
    python_stdlib,
    read_corpus,
)
from qwen_lsp.training.humaneval import (
    InfillTask,
    bench_heldout_packages,
    function_line_tasks,
    package_of,
)
from qwen_lsp.training.py_extra import download_wheels, unpack_sources

STDLIB_PREFIX = "stdlib-"


def build_devset(
    packages: set[str],
    wheels: Path,
    work: Path,
    n: int = 500,
    seed: int = 0,
    download: bool = True,
) -> tuple[list[InfillTask], dict]:
    """Line tasks from the documented short functions of ``packages`` (PyPI names, or
    ``stdlib-<module>``); returns them with the corpus manifest."""
    pypi = sorted(p for p in packages if not p.startswith(STDLIB_PREFIX))
    failed = download_wheels(pypi, wheels) if download else []
    site = work / "site"
    if site.exists():
        shutil.rmtree(site)
    unpack_sources(sorted(wheels.glob("*.whl")), site)
    sources = python_site_packages([site])
    sources += [s for s in python_stdlib() if s.name in packages]
    tasks, manifest = _function_tasks(sources, work, "python", n, seed)
    manifest["download_failed"] = failed
    return tasks, manifest


def build_js_devset(
    packages: set[str], work: Path, n: int = 500, seed: int = 0, install: bool = True
) -> tuple[list[InfillTask], dict]:
    """:func:`build_devset` for JavaScript/TypeScript: the npm packages are installed into
    ``work`` (``npm install --ignore-scripts``: no package code runs), and the lines come from
    functions documented by a ``/** ... */`` comment."""
    if install:
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                str(work),
                *sorted(packages),
            ],
            check=True,
            capture_output=True,
            timeout=1800,
        )
    sources = [s for s in npm_packages(work / "node_modules") if s.name in packages]
    tasks, manifest = _function_tasks(sources, work, "javascript", n, seed)
    manifest["download_failed"] = sorted(packages - {s.name for s in sources})
    return tasks, manifest


def _function_tasks(
    sources: list[PackageSource], work: Path, language: str, n: int, seed: int
) -> tuple[list[InfillTask], dict]:
    """The corpus builder's filters over ``sources``, all of them held out, then the lines of
    their documented short functions."""
    manifest = build_corpus(
        sources,
        work / "corpus",
        language,
        heldout_packages=[s.name for s in sources],
        # The HumanEval check is Python's (the GPU job's JavaScript corpus skips it too).
        humaneval=(find_humaneval() or False) if language == "python" else False,
        log=lambda _msg: None,
    )
    records = read_corpus(work / "corpus" / "heldout.jsonl")
    return function_line_tasks(records, n=n, seed=seed, language=language), manifest


def main(argv: list[str] | None = None) -> int:
    """Download, filter, sample, write the gzip-compressed task file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=Path, required=True, help="held-out line tasks (packages)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/qwen_devset"))
    ap.add_argument("--skip-download", action="store_true", help="use what is already there")
    ap.add_argument("--language", choices=["python", "javascript"], default="python")
    args = ap.parse_args(argv)
    packages = bench_heldout_packages(str(args.tasks))
    if args.language == "javascript":
        tasks, manifest = build_js_devset(
            packages, args.work, n=args.n, seed=args.seed, install=not args.skip_download
        )
    else:
        tasks, manifest = build_devset(
            packages,
            args.work / "wheels",
            args.work,
            n=args.n,
            seed=args.seed,
            download=not args.skip_download,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(task.to_json() + "\n" for task in tasks)
    # mtime 0: the same tasks give the same bytes (the file is committed).
    args.out.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    used = sorted({package_of(t.task_id) for t in tasks})
    print(
        json.dumps(
            {
                "tasks": len(tasks),
                "packages": len(used),
                "of_packages": len(packages),
                "download_failed": manifest["download_failed"],
                "heldout_files": manifest["totals"]["files"]["heldout"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
