"""The GPU job: build corpora and tokenizers, train detached, evaluate checkpoints, export.

Run it as a script from the repository root (``python qwen_lsp/training/gpu_job.py ...``): it
first copies this package to ``$WORK/code`` and imports it from there, so the detached training
keeps working when the next call replaces the working tree, and nothing else of the repository
(the server's ``qwen_lsp/__init__.py``, its dependencies) is needed on the GPU machine.

Subcommands (``--work`` defaults to ``/tmp/qwen``; everything lives under ``$WORK/<lang>/``):

* ``prepare --lang python|javascript``: corpus (Python: this interpreter's site-packages and
  standard library, plus ``--extra-site`` trees such as the carried ``.carry/py_extra.tar.xz``
  of wheels unpacked on the CPU machine; JavaScript: the carried ``.carry/js_corpus``),
  tokenizer, token files, held-out line-completion tasks.
* ``launch --lang L --minutes M``: detached training that stops itself M minutes from now, plus a
  detached watcher that evaluates each checkpoint (HumanEval infilling for Python, held-out line
  completion for both) into ``eval_curve.jsonl``.
* ``wait --minutes M``: print progress lines until M minutes passed or every run is done.
* ``finalize --lang L --out DIR``: (optionally wait for the run,) export ONNX, quantize int4 and
  int8, check parity, evaluate, write the module and pack it into ``DIR`` (at most 8 files of at
  most 15 MiB: bigger files are split in parts, with ``join.sh``).
* ``pack-weights --lang L --out DIR [--parts a:b] [--int8]``: the trained weights in parts, for
  the fp32 reference here or to resume on a later machine (``launch --resume-pack DIR``).
* ``status``: one line per run.

``--smoke`` everywhere: a tiny corpus, model and budget, to test the whole chain on a CPU.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Running as a script puts this folder first on sys.path, where model.py / data.py / train.py
# would shadow any top-level module of the same name: take it out.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]

DEFAULT_WORK = "/tmp/qwen"
PART_BYTES = 15 * 1024 * 1024
REPO = HERE.parents[1]


def _install_code(work: Path) -> None:
    """Copy this package to ``work/code`` and import from there (see the module docstring)."""
    import hashlib

    code = work / "code"
    target = code / "qwen_lsp" / "training"
    if target.resolve() != HERE:
        digest = hashlib.sha256(
            b"".join(p.read_bytes() for p in sorted(HERE.glob("*.py")))
        ).hexdigest()
        stamp = code / "DIGEST"
        # Replace the copy only when the code changed: detached runs may be using it.
        if not (stamp.exists() and stamp.read_text() == digest and target.exists()):
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(HERE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            (code / "qwen_lsp" / "__init__.py").write_text('"""Training-only copy."""\n')
            stamp.write_text(digest)
    sys.path.insert(0, str(code))


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _weights_dir(run: Path, weights: str) -> Path:
    """The weights folder ``--weights`` names: ``best`` or ``final`` of the run (``final`` when
    the run has no ``best`` yet), or any transformers folder (a second stage's ``out_dir``),
    absolute or relative to the run."""
    if weights in ("best", "final"):
        return run / weights if (run / weights).exists() else run / "final"
    folder = Path(weights) if Path(weights).is_absolute() else run / weights
    if not (folder / "config.json").exists():
        raise SystemExit(f"--weights {weights}: no weights folder (config.json) at {folder}")
    return folder


def _lang_dir(work: Path, lang: str) -> Path:
    return work / lang


SMOKE_STDLIB = [
    "json",
    "textwrap",
    "argparse",
    "dataclasses",
    "functools",
    "collections",
    "string",
    "shlex",
    "fnmatch",
    "heapq",
    "bisect",
    "csv",
    "difflib",
    "enum",
    "glob",
    "pprint",
    "queue",
    "email",
    "logging",
    "unittest",
    "http",
    "urllib",
    "calendar",
    "statistics",
    "fractions",
    "decimal",
    "configparser",
    "gettext",
    "inspect",
    "pathlib",
    "tempfile",
    "zipfile",
    "tarfile",
    "typing",
]


# -- prepare -----------------------------------------------------------------------------------
def cmd_prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Corpus, tokenizer, token files, evaluation tasks."""
    from qwen_lsp.training.corpus import (
        build_corpus,
        python_environment_sources,
        python_site_packages,
        python_stdlib,
        read_corpus,
    )
    from qwen_lsp.training.data import encode_corpus
    from qwen_lsp.training.humaneval import (
        bench_heldout_packages,
        function_line_tasks,
        heldout_line_tasks,
        save_tasks,
    )
    from qwen_lsp.training.tokenizer import load_tokenizer, train_tokenizer

    t0 = time.time()
    d = _lang_dir(args.work, args.lang)
    corpus_dir, data_dir, eval_dir = d / "corpus", d / "data", d / "eval"
    for p in (corpus_dir, data_dir, eval_dir):
        p.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"lang": args.lang, "smoke": args.smoke}
    he = _humaneval_path(args)
    if args.lang == "python":
        extra = [_unpack_site(Path(x), d / "extra_site") for x in args.extra_site or []]
        if args.smoke:
            sources = [s for s in python_stdlib() if s.name.removeprefix("stdlib-") in SMOKE_STDLIB]
            sources += python_site_packages(extra)
        else:
            sources = python_environment_sources(extra)
        report["extra_site"] = [str(x) for x in args.extra_site or []]
        _log(
            f"python: {len(sources)} packages, {sum(len(s.files) for s in sources)} candidate files"
        )
        kept_out = bench_heldout_packages(args.bench_heldout)
        report["bench_heldout_packages"] = len(kept_out)
        manifest = build_corpus(
            sources,
            corpus_dir,
            "python",
            heldout_fraction=args.heldout_fraction,
            also_heldout=kept_out,
            workers=args.workers,
            humaneval=he,
            log=_log,
        )
        report["corpus"] = {
            "totals": manifest["totals"],
            "contamination_files": manifest["contamination"].get("files_dropped"),
        }
    else:
        src = Path(args.js_corpus)
        if not (src / "manifest.json").exists():
            raise SystemExit(
                f"no JavaScript corpus at {src} (build it with js_corpus.py, carry .carry)"
            )
        for name in ("train.jsonl", "heldout.jsonl"):
            cand = [src / f"{name}.xz", src / name]
            f = next((c for c in cand if c.exists()), None)
            if f is None:
                raise SystemExit(f"{src} has no {name}[.xz]")
            if args.smoke:  # a slice is enough to test the chain
                with open(corpus_dir / name, "w", encoding="utf-8") as out:
                    for i, rec in enumerate(read_corpus(f)):
                        if i >= (300 if name == "train.jsonl" else 40):
                            break
                        out.write(json.dumps(rec) + "\n")
            else:
                shutil.copyfile(f, corpus_dir / f.name)
        shutil.copyfile(src / "manifest.json", corpus_dir / "manifest.json")
        manifest = json.loads((src / "manifest.json").read_text())
        report["corpus"] = {"totals": manifest.get("totals")}
    _log(f"corpus ready ({time.time() - t0:.0f}s)")

    train_file = next(
        p for p in (corpus_dir / "train.jsonl", corpus_dir / "train.jsonl.xz") if p.exists()
    )
    if args.tokenizer:
        tok = load_tokenizer(args.tokenizer)
        report["tokenizer"] = {"from": args.tokenizer}
    else:
        budget = int(args.bpe_sample_mb * 1e6)
        total = max(
            1, sum(int(v) for v in (manifest.get("totals", {}).get("bytes", {}) or {}).values())
        )
        keep_p = min(1.0, budget / total)

        def sample() -> Any:
            # A random subset of files of about ``budget`` characters, spread over all packages
            # (the corpus file is sorted by package).
            import random

            rng = random.Random(0)
            used = 0
            for rec in read_corpus(train_file):
                if rng.random() > keep_p:
                    continue
                used += len(rec["text"])
                yield rec["text"]
                if used >= budget:
                    return

        t1 = time.time()
        vocab = 2048 if args.smoke else args.vocab
        tok = train_tokenizer(sample(), vocab_size=vocab)
        report["tokenizer"] = {"vocab": tok.get_vocab_size(), "seconds": round(time.time() - t1, 1)}
    tok.save(str(data_dir / "tokenizer.json"), pretty=False)  # compact: counts against 30 MB
    _log(f"tokenizer: {report['tokenizer']}")
    t2 = time.time()
    score: Callable[[Sequence[str]], list[float]] | None = None
    if args.lang == "python":
        from qwen_lsp.training.selection import score_texts

        score = functools.partial(score_texts, workers=args.workers)
    report["tokens"] = encode_corpus(tok, corpus_dir, data_dir, score=score)
    report["tokens"]["seconds"] = round(time.time() - t2, 1)
    _log(f"token files: {report['tokens']}")
    held = corpus_dir / "heldout.jsonl"
    if not held.exists():
        held = corpus_dir / "heldout.jsonl.xz"
    tasks = heldout_line_tasks(read_corpus(held), n=40 if args.smoke else 500, language=args.lang)
    save_tasks(tasks, eval_dir / "heldout_lines.jsonl")
    report["heldout_line_tasks"] = len(tasks)
    # The dev set: lines in documented short functions of the held-out packages. 1,000 lines:
    # scoring is cheap on the GPU, and 500 leave about 1.5 points of noise.
    try:
        dev = function_line_tasks(
            read_corpus(held), n=40 if args.smoke else 1000, language=args.lang
        )
    except ImportError as exc:
        # JavaScript needs the tree-sitter grammars, which the job's copy of the package lacks:
        # its dev set is scored on the CPU machine (bench/data/dev_javascript_functions...).
        _log(f"no dev set for {args.lang} here ({exc}); score the committed one on the CPU")
        dev = []
    save_tasks(dev, eval_dir / "heldout_functions.jsonl")
    report["heldout_function_tasks"] = len(dev)
    if he is not None:
        shutil.copyfile(he, eval_dir / "HumanEval.jsonl.gz")
    report["seconds"] = round(time.time() - t0, 1)
    (d / "prepare.json").write_text(json.dumps(report, indent=1))
    return report


def _unpack_site(src: Path, dest_root: Path) -> Path:
    """A site-packages-like tree (``*.dist-info`` with METADATA and RECORD) given as a folder
    or as a ``.tar.xz`` of one (unpacked under ``dest_root``, since carried files are read-only
    and the next call replaces them)."""
    if src.is_dir():
        return src
    if not src.exists():
        raise SystemExit(f"no extra site tree at {src}")
    import tarfile

    dest = dest_root / src.name.split(".")[0]
    if not dest.exists():
        tmp = dest.with_name(dest.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(src) as tar:
            tar.extractall(tmp, filter="data")
        tmp.rename(dest)
    inner = [p for p in dest.iterdir() if p.is_dir()]
    # A tar of the folder itself holds one top-level directory: the site is inside it.
    if len(inner) == 1 and not any(dest.glob("*.dist-info")):
        return inner[0]
    return dest


def _humaneval_path(args: argparse.Namespace) -> Path | None:
    from qwen_lsp.training.corpus import find_humaneval

    cand = [getattr(args, "humaneval", None), REPO / ".carry" / "HumanEval.jsonl.gz"]
    for c in cand:
        if c and Path(c).exists():
            return Path(c)
    return find_humaneval()


# -- launch / train / evalwatch ----------------------------------------------------------------
def _train_config(args: argparse.Namespace, d: Path, deadline: float) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "data_dir": str(d / "data"),
        "out_dir": str(d / "run"),
        "preset": args.preset,
        "deadline": deadline,
        "snapshots": True,
        "eval_every_seconds": 90.0,
        "ckpt_every_seconds": args.eval_every_minutes * 60,
    }
    if args.smoke:
        cfg.update(
            preset="smoke",
            seq_len=256,
            micro_batch=8,
            grad_accum=1,
            warmup_steps=10,
            lr=3e-3,
            eval_every_seconds=15.0,
            ckpt_every_seconds=20.0,
            log_every=5,
            val_batches=2,
            workers=0,
        )
    if args.config:
        # Inline JSON or a file; a long inline object is no path (stat() would fail on it).
        inline = args.config.lstrip().startswith("{")
        text = args.config if inline else Path(args.config).read_text()
        cfg.update(json.loads(text))
    return cfg


def _spawn(argv: list[str], log_file: Path, env: dict[str, str] | None = None) -> int:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as f:
        proc = subprocess.Popen(
            argv,
            stdout=f,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the end of this call
            cwd=str(log_file.parent),
            env=env or os.environ.copy(),
        )
    return proc.pid


def cmd_launch(args: argparse.Namespace) -> dict[str, Any]:
    """Start the detached trainer (and the checkpoint evaluator)."""
    d = _lang_dir(args.work, args.lang)
    if not (d / "data" / "tokenizer.json").exists():
        raise SystemExit(f"run prepare --lang {args.lang} first")
    deadline = args.deadline or time.time() + args.minutes * 60
    cfg = _train_config(args, d, deadline)
    run = Path(cfg["out_dir"])
    run.mkdir(parents=True, exist_ok=True)
    if args.resume_pack:
        init = d / "init"
        unpack_weights(Path(args.resume_pack), init)
        cfg["init_from"] = str(init)
    if args.init_module:
        cfg["init_from"] = str(init_from_module(Path(args.init_module), d / "init", d / "data"))
    (run / "launch_config.json").write_text(json.dumps(cfg, indent=1))
    script = str(args.work / "code" / "qwen_lsp" / "training" / "gpu_job.py")
    py = sys.executable
    common = ["--work", str(args.work), "--lang", args.lang] + (["--smoke"] if args.smoke else [])
    pid = _spawn(
        [py, script, "train", *common, "--config", str(run / "launch_config.json")],
        run / "stdout.log",
    )
    info: dict[str, Any] = {
        "train_pid": pid,
        "deadline": deadline,
        "minutes": round((deadline - time.time()) / 60, 2),
    }
    if not args.no_eval:
        epid = _spawn(
            [py, script, "evalwatch", *common, "--deadline", str(deadline + 600)],
            d / "eval" / "watch.log",
        )
        info["eval_pid"] = epid
    (run / "pids.json").write_text(json.dumps(info))
    _log(f"launched {args.lang}: {info}")
    return info


def cmd_train(args: argparse.Namespace) -> int:
    """(internal) The detached trainer."""
    import traceback

    from qwen_lsp.training.train import TrainConfig, run_training

    cfg_d = json.loads(Path(args.config).read_text())
    if "betas" in cfg_d:
        cfg_d["betas"] = tuple(cfg_d["betas"])
    cfg = TrainConfig(**cfg_d)
    try:
        run_training(cfg, log=lambda s: print(s, flush=True))
    except BaseException as e:
        run = Path(cfg.out_dir)
        with open(run / "train_log.jsonl", "a") as f:
            f.write(
                json.dumps(
                    {
                        "time": time.time(),
                        "event": "error",
                        "message": repr(e),
                        "traceback": traceback.format_exc(),
                    }
                )
                + "\n"
            )
        (run / "FAILED").write_text(traceback.format_exc())
        (run / "DONE").write_text("failed")
        raise
    return 0


def _load_eval_sets(
    d: Path, smoke: bool
) -> tuple[list[Any], list[Any], list[Any] | None, list[Any] | None]:
    """Held-out lines, dev lines (documented short functions), HumanEval tasks and problems."""
    from qwen_lsp.training.humaneval import humaneval_line_tasks, load_tasks

    held, dev = (
        load_tasks(d / "eval" / name) if (d / "eval" / name).exists() else []
        for name in ("heldout_lines.jsonl", "heldout_functions.jsonl")
    )
    he_tasks, problems = None, None
    he = d / "eval" / "HumanEval.jsonl.gz"
    if d.name == "python" and he.exists():
        from qwen_lsp.training.corpus import load_humaneval

        problems = load_humaneval(he)
        he_tasks = humaneval_line_tasks(problems)
        if smoke:
            he_tasks = he_tasks[:20]
    if smoke:
        held, dev = held[:20], dev[:20]
    return held, dev, he_tasks, problems


def evaluate_model(
    model: Any,
    tok: Any,
    d: Path,
    smoke: bool,
    device: Any,
    dtype: Any,
    modes: tuple[str, ...] = ("spm", "psm", "prefix"),
    step_fn: Any = None,
    batch_size: int = 128,
    workers: int = 6,
) -> dict[str, Any]:
    """HumanEval infilling (Python) and held-out line completion for each prompt mode
    (``spm``, ``psm``, ``prefix``; a ``-noheal`` suffix turns token healing off)."""
    from qwen_lsp.training.humaneval import (
        evaluate_humaneval,
        evaluate_line_completion,
        make_infiller,
        torch_step_fn,
    )

    held, dev, he_tasks, problems = _load_eval_sets(d, smoke)
    step = step_fn or torch_step_fn(model, device, dtype)
    res: dict[str, Any] = {}
    for mode in modes:
        order, _, flag = mode.partition("-")
        gen = make_infiller(
            step,
            tok,
            order,
            batch_size=batch_size,
            max_new_tokens=16 if smoke else 48,
            heal=flag != "noheal",
        )
        r: dict[str, Any] = {}
        t = time.time()
        if he_tasks:
            h = evaluate_humaneval(gen, he_tasks, problems, workers=workers)
            r["humaneval_pass@1"] = round(h["pass@1"], 4)
            r["humaneval_exact"] = round(h["exact_match"], 4)
            r["humaneval_empty"] = round(h["empty"], 4)
        if held:
            lc = evaluate_line_completion(gen, held)
            r["heldout_exact"] = round(lc["exact_match"], 4)
            r["heldout_edit_sim"] = round(lc["edit_similarity"], 4)
        if dev:
            fn = evaluate_line_completion(gen, dev)
            r["dev_functions_exact"] = round(fn["exact_match"], 4)
            r["dev_functions_edit_sim"] = round(fn["edit_similarity"], 4)
        r["seconds"] = round(time.time() - t, 1)
        res[mode] = r
    return res


def _qat_block_size(run: Path) -> int | None:
    """The int4 block size a run trained for (quantization-aware), or None for a plain run."""
    launch = run / "launch_config.json"
    return json.loads(launch.read_text()).get("qat_block_size") if launch.exists() else None


def cmd_evalwatch(args: argparse.Namespace) -> int:
    """(internal) Evaluate each new snapshot of the run into ``eval/eval_curve.jsonl``."""
    import torch

    from qwen_lsp.training.model import load_hf
    from qwen_lsp.training.qat import enable_qat
    from qwen_lsp.training.tokenizer import load_tokenizer

    d = _lang_dir(args.work, args.lang)
    run = d / "run"
    tok = load_tokenizer(d / "data" / "tokenizer.json")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    curve = d / "eval" / "eval_curve.jsonl"
    qat_block_size = _qat_block_size(run)
    done: set[str] = set()
    if curve.exists():
        done = {
            json.loads(x).get("snapshot", "") for x in curve.read_text().splitlines() if x.strip()
        }
    while time.time() < args.deadline:
        snaps = sorted(
            p
            for p in (run / "snapshots").glob("step*")
            if (p / "READY").exists() and p.name not in done
        )
        if not snaps:
            if (run / "DONE").exists():
                break
            time.sleep(5)
            continue
        # Keep up: when several are pending evaluate the newest and skip the rest (not the last).
        snap = snaps[-1]
        for old in snaps[:-1]:
            done.add(old.name)
        meta = json.loads((snap / "READY").read_text())
        try:
            model = load_hf(snap, dtype=dtype).to(device)
            if qat_block_size:
                # Score the model as the int4 export will compute it.
                enable_qat(model, qat_block_size)
            t = time.time()
            res = evaluate_model(
                model, tok, d, args.smoke, device, dtype, workers=args.test_workers
            )
            rec = {
                "snapshot": snap.name,
                **meta,
                "eval_seconds": round(time.time() - t, 1),
                "results": res,
            }
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
        except Exception as e:
            rec = {"snapshot": snap.name, **meta, "error": repr(e)}
        with open(curve, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)
        done.add(snap.name)
    return 0


# -- wait / status -----------------------------------------------------------------------------
def _last_events(path: Path, kinds: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not path.exists():
        return out
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 200_000))
        lines = f.read().decode("utf-8", "replace").splitlines()
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("event") in kinds:
            out[rec["event"]] = rec
    return out


def _status_line(work: Path, lang: str) -> str:
    d = _lang_dir(work, lang)
    run = d / "run"
    ev = _last_events(run / "train_log.jsonl", ("train", "val", "error", "end"))
    parts = [lang]
    if "train" in ev:
        t = ev["train"]
        parts.append(
            f"step {t['step']} tok {t['tokens'] / 1e6:.0f}M loss {t['loss']:.3f} lr {t['lr']:.2e} {t['tok_s'] / 1e6:.2f}Mtok/s p={t.get('progress')}"
        )
    if "val" in ev:
        parts.append(f"val {ev['val']['val_loss']:.3f} mid {ev['val']['val_loss_middle']:.3f}")
    curve = d / "eval" / "eval_curve.jsonl"
    if curve.exists():
        lines = [x for x in curve.read_text().splitlines() if x.strip()]
        if lines:
            last = json.loads(lines[-1])
            res = last.get("results", {})
            brief = {
                m: {k: v for k, v in r.items() if k.startswith(("humaneval_pass", "heldout_exact"))}
                for m, r in res.items()
            }
            parts.append(f"eval@{last.get('tokens', 0) / 1e6:.0f}M {json.dumps(brief)}")
    if "error" in ev:
        parts.append(f"ERROR {ev['error'].get('message')}")
    if (run / "DONE").exists():
        parts.append(f"DONE({(run / 'DONE').read_text().strip()})")
    return " | ".join(parts)


def _gpu_line() -> str:
    try:
        r = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=utilization.gpu,memory.used,memory.total",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return r.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "no nvidia-smi"


def cmd_wait(args: argparse.Namespace) -> int:
    """Print progress until ``--minutes`` passed or all runs are done."""
    end = time.time() + args.minutes * 60
    langs = args.langs or [p.name for p in args.work.iterdir() if (p / "run").exists()]
    while True:
        for lang in langs:
            _log(_status_line(args.work, lang))
        _log(f"gpu: {_gpu_line()}")
        if all((_lang_dir(args.work, lang) / "run" / "DONE").exists() for lang in langs):
            _log("all runs done")
            return 0
        if time.time() + args.every > end:
            return 0
        time.sleep(args.every)


def cmd_status(args: argparse.Namespace) -> int:
    """One line per run."""
    for p in sorted(args.work.iterdir()):
        if (p / "run").exists():
            print(_status_line(args.work, p.name))
    return 0


# -- finalize ----------------------------------------------------------------------------------
def split_file(path: Path, out_dir: Path, prefix: str) -> list[str]:
    """Copy ``path`` into ``out_dir`` as ``prefix`` or ``prefix.partNN`` pieces of <= 15 MiB."""
    size = path.stat().st_size
    if size <= PART_BYTES:
        shutil.copyfile(path, out_dir / prefix)
        return [prefix]
    names = []
    with open(path, "rb") as f:
        i = 0
        while chunk := f.read(PART_BYTES):
            name = f"{prefix}.part{i:02d}"
            (out_dir / name).write_bytes(chunk)
            names.append(name)
            i += 1
    return names


JOIN_SH = """#!/bin/sh
# Join split files: for every NAME.part00 here, write NAME (cat of the parts in order).
set -e
cd "$(dirname "$0")"
for first in *.part00; do
  [ -e "$first" ] || continue
  name="${first%.part00}"
  cat "$name".part[0-9][0-9] > "$name"
  echo "joined $name"
done
"""


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _model_card(lang: str, d: Path, report: dict[str, Any], evals: dict[str, Any]) -> str:
    """A draft MODEL_CARD.md with every figure the run produced (edit before shipping)."""
    prep = _read_json(d / "prepare.json")
    summary = _read_json(d / "run" / "summary.json")
    manifest = _read_json(d / "corpus" / "manifest.json")
    pk = [p for p in manifest.get("packages", []) if p.get("files")]
    lic: dict[str, int] = {}
    for p in pk:
        lic[str(p.get("license"))] = lic.get(str(p.get("license")), 0) + 1
    top = sorted(pk, key=lambda p: -int(p.get("bytes", 0)))[:25]
    top_text = ", ".join(
        "{} {} ({})".format(p["name"], p.get("version", ""), p.get("license")) for p in top
    )
    from qwen_lsp.training.mixed_precision import describe
    from qwen_lsp.training.module import LANGUAGES

    cfg = summary.get("config", {})
    tokens = prep.get("tokens", {})
    unique = tokens.get("train", {}).get("tokens") or 1
    seen = summary.get("tokens") or 0
    lines = [
        f"# qwen-lsp-{lang}",
        "",
        "*Draft written by `gpu_job.py finalize`; every figure below comes from the run's records.*",
        "",
        "## Intended use",
        f"Inline code completion (ghost text) for {', '.join(LANGUAGES[lang])} "
        "in qwen-lsp, offline on a laptop CPU through ONNX Runtime: mostly one line at the cursor, "
        "sometimes a short block. Prompt orders (docs/model-module.md), best first: "
        f"{report.get('orders') or report.get('manifest', {}).get('fim', {}).get('orders')}.",
        "",
        "## Data",
        f"- {len(pk)} packages with permissive licences (MIT, BSD, Apache-2.0, PSF, ISC, ...; "
        "GPL/LGPL/AGPL/MPL and unknown licences excluded); per-package name, version, licence, "
        "files and bytes in the corpus manifest.",
        f"- files / bytes: {json.dumps(manifest.get('totals'))}",
        f"- held-out split by package: {len(manifest.get('heldout_packages', []))} packages.",
        f"- filters: generated, minified, vendored, bundles, non-UTF-8, > 1 MB, tiny; exact and "
        f"MinHash near-duplicate removal. HumanEval contamination check: "
        f"{manifest.get('contamination', {}).get('files_dropped')} files dropped.",
        f"- licences (packages per licence string): {json.dumps(dict(sorted(lic.items(), key=lambda x: -x[1])[:12]))}",
        f"- largest packages: {top_text}",
        "",
        "## Model",
        f"- {summary.get('shape', {}).get('architecture')} decoder, {summary.get('parameters'):,} parameters "
        f"(tied embedding), shape {json.dumps({k: v for k, v in summary.get('shape', {}).items() if k != 'architecture'})}"
        if summary.get("parameters")
        else "- shape: unknown",
        f"- tokenizer: byte-level BPE, {prep.get('tokenizer', {}).get('vocab')} tokens, "
        "indentation-friendly pre-tokenisation, Qwen2.5-Coder special tokens at ids 0..6; "
        f"{tokens.get('train', {}).get('chars_per_token', 0):.2f} characters per token.",
        f"- shipped file: `model.onnx` {report.get('model_bytes'):,} bytes, {report.get('quantization')} "
        "(MatMulNBits block-wise, embedding shared with the output projection through "
        "GatherBlockQuantized)"
        if report.get("model_bytes")
        else "- shipped file: ?",
        *(describe(report["mixed_precision"]) if report.get("mixed_precision") else []),
        "",
        "## Training",
        f"- {unique:,} unique training tokens; {seen:,} tokens seen ({seen / unique:.1f} epochs), "
        f"{summary.get('steps')} steps of {cfg.get('micro_batch')}x{cfg.get('grad_accum')}x{cfg.get('seq_len')} tokens, "
        f"AdamW, peak LR {cfg.get('lr')}, warm-up {cfg.get('warmup_steps')} steps, cosine on wall-clock "
        f"progress, bf16 autocast, one GPU, {summary.get('seconds')} s.",
        f"- objective: FIM in SPM and PSM orders plus left-to-right, line-aware middles, "
        f"cross-file `<|file_sep|>` context; mix {json.dumps(cfg.get('fim') or 'defaults (data.FimConfig)')}.",
        f"- best held-out loss {summary.get('best_val')}; stop: {summary.get('stop_reason')}.",
        "",
        "## Evaluation (proxy harness on the GPU machine: greedy, first line kept)",
        "HumanEval single-line infilling: 1,033 tasks (each non-blank canonical line, cursor after its "
        "indentation), the problem's tests run; held-out line completion: exact match and edit "
        "similarity on lines of held-out packages. `torch` = PyTorch bf16; `onnx-int4` = the shipped file "
        "through ONNX Runtime on CPU.",
        "```json",
        json.dumps(evals, indent=1),
        "```",
        "Scores through the real engine (context builder, post-processing): see bench/quality.py.",
        "",
        "## Checks",
        f"- ONNX fp32 vs PyTorch logits: {json.dumps(report.get('onnx_vs_torch'))}",
        f"- shipped quantization vs fp32 (held-out text): {json.dumps(report.get('quantized_vs_fp32'))}",
        "",
        "## Limits",
        "- A small model: it completes common idioms and names visible in the context; it does not "
        "reason about a program. Expect wrong suggestions often; the engine's syntax check and "
        "filters drop some of them.",
        "- Trained on library source code (the GPU machine's site-packages and the standard "
        "library for Python; popular npm packages for JavaScript/TypeScript): application code, "
        "other languages and non-English identifiers are under-represented.",
        "- Context window "
        + str(summary.get("shape", {}).get("max_position_embeddings"))
        + " tokens.",
        "- No filtering of secrets or personal data beyond what package authors published.",
        "",
        "## Licence",
        "Weights: Apache-2.0. Training data: permissively licensed packages listed in the corpus manifest.",
        "",
    ]
    return "\n".join(lines)


def _check_sequences(d: Path, n: int = 4, length: int = 256) -> list[list[int]]:
    """Real held-out token windows for logit comparisons (random ids are out of distribution
    for a trained model and exaggerate quantization error)."""
    from qwen_lsp.training.data import TokenData

    try:
        data = TokenData.open(d / "data", "heldout")
    except (OSError, ValueError):
        data = TokenData.open(d / "data", "train")
    return data.windows(n, length)


def _rank_orders(torch_eval: Any, lang: str) -> list[str] | None:
    """Prompt orders sorted by their proxy score (HumanEval for Python, held-out otherwise)."""
    if not isinstance(torch_eval, dict) or "error" in torch_eval:
        return None
    key = "humaneval_pass@1" if lang == "python" else "heldout_exact"
    names = {"spm": "spm", "psm": "psm", "prefix": "prefix_only"}  # healed modes only
    scored = [
        (r.get(key, r.get("heldout_exact", 0.0)), names[m])
        for m, r in torch_eval.items()
        if m in names
    ]
    if not scored:
        return None
    return [name for _, name in sorted(scored, key=lambda x: -x[0])]


def _refuse_eight_bit(args: argparse.Namespace) -> None:
    """Refuse ``--eight-bit-bytes`` outside a plain int4 export: int8 has no 4-bit groups to
    raise, and a QAT run learned weights for the 4-bit grid (8-bit groups would ship weights
    it never trained with)."""
    if args.eight_bit_bytes < 0:
        raise SystemExit("--eight-bit-bytes cannot be negative")
    if not args.eight_bit_bytes:
        return
    if args.quant != "int4":
        raise SystemExit(
            f"--eight-bit-bytes stores some int4 weight groups at 8 bits: not with --quant "
            f"{args.quant}"
        )
    if args.rounding == "qat":
        raise SystemExit(
            "--eight-bit-bytes: a QAT run trained its weights for the int4 grid (--rounding qat, "
            "the default after a QAT run); 8-bit groups would change what it learned. Use "
            "--eight-bit-bytes 0, or --rounding gptq|rtn"
        )


def cmd_finalize(args: argparse.Namespace) -> dict[str, Any]:
    """Export, quantize, check, evaluate, pack into ``--out``."""
    import tarfile

    import torch

    from qwen_lsp.training.export import onnx_session, write_manifest
    from qwen_lsp.training.gptq import calibration_windows
    from qwen_lsp.training.humaneval import onnx_step_fn
    from qwen_lsp.training.model import load_hf
    from qwen_lsp.training.module import LANGUAGES, build_module
    from qwen_lsp.training.quantize import compare_logits, quantize_model
    from qwen_lsp.training.tokenizer import load_tokenizer

    t0 = time.time()
    d = _lang_dir(args.work, args.lang)
    run = d / "run"
    qat_block = _qat_block_size(run)
    if args.rounding is None:
        args.rounding = "qat" if qat_block else "gptq"
    _refuse_eight_bit(args)  # before anything is stopped or written
    if qat_block and (args.rounding != "qat" or args.block_size != qat_block):
        _log(
            f"warning: the run trained for int4 blocks of {qat_block} on the plain grid "
            f"(--rounding qat --block-size {qat_block}); rounding {args.rounding} "
            f"with blocks of {args.block_size} throws that away"
        )
    if args.stop and not (run / "DONE").exists():
        (run / "STOP").write_text("finalize")
    while not (run / "DONE").exists() and time.time() - t0 < args.wait_max:
        time.sleep(5)
    if not (run / "DONE").exists():
        _log("run not done: using the last checkpoint's weights")
    weights = _weights_dir(run, args.weights)
    if not weights.exists():
        raise SystemExit(f"no weights in {run}")
    quant_options: dict[str, Any] = {}
    if args.quant == "int4":
        quant_options["block_size"] = args.block_size
        if args.rounding == "qat":
            # A QAT run learned weights for the plain min/max grid: round on exactly that one.
            quant_options["search"] = False
    model = load_hf(weights).float().eval()
    tok_path = d / "data" / "tokenizer.json"
    tok = load_tokenizer(tok_path)
    mod = d / "module"
    if mod.exists():
        shutil.rmtree(mod)
    fp32 = d / "model_fp32.onnx"
    check = _check_sequences(d)
    report = build_module(
        model,
        tok_path,
        mod,
        name=f"qwen-lsp-{args.lang}",
        languages=LANGUAGES[args.lang],
        quantization=args.quant,
        version=args.version,
        description=f"qwen-lsp embedded {args.lang} completion model",
        orders=["spm", "psm", "prefix_only"],
        check_sequences=check,
        keep_fp32=fp32,
        # Fusing checks greedy tokens through the engine, which the GPU job's code copy does
        # not hold: install_module fuses on the CPU machine.
        fuse=False,
        quant_options=quant_options,
        calibration=calibration_windows(d / "data") if args.rounding == "gptq" else None,
        eight_bit_bytes=args.eight_bit_bytes,
        eight_bit_windows=calibration_windows(
            d / "data", args.eight_bit_windows, args.eight_bit_tokens
        )
        if args.eight_bit_bytes
        else None,
    )
    _log(
        f"module built: {report['model_bytes']} bytes; parity {report['onnx_vs_torch']}; "
        f"quant {report.get('quantized_vs_fp32')}"
    )
    if "mixed_precision" in report:
        from qwen_lsp.training.mixed_precision import describe

        _log("\n".join(describe(report["mixed_precision"])))
    variants = {args.quant: mod / "model.onnx", "fp32": fp32}
    other = "int8" if args.quant == "int4" else "int4"
    if not args.smoke or args.all_variants:
        try:
            q = quantize_model(fp32, d / f"model_{other}.onnx", other)
            variants[other] = Path(q["path"])
            report[f"{other}_bytes"] = q["bytes"]
            report[f"{other}_vs_fp32"] = compare_logits(fp32, variants[other], check)
        except Exception as e:
            report[f"{other}_error"] = repr(e)
    evals: dict[str, Any] = {}
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not args.no_eval:
        try:
            gm = load_hf(
                weights, dtype=torch.bfloat16 if device.type == "cuda" else torch.float32
            ).to(device)
            if qat_block and args.rounding == "qat":
                from qwen_lsp.training.qat import enable_qat

                enable_qat(gm, qat_block)
            evals["torch"] = evaluate_model(
                gm,
                tok,
                d,
                args.smoke,
                device,
                gm.embedding.dtype,
                modes=("spm", "psm", "prefix", "spm-noheal"),
                workers=args.test_workers,
            )
            _log(f"torch eval: {evals['torch']}")
            del gm
        except Exception as e:
            evals["torch"] = {"error": repr(e)}
        # ONNX Runtime (CPU) on the shipped file (and, with --ort-all, the other variants).
        for name in [args.quant, *[v for v in ("fp32", other) if v in variants and args.ort_all]]:
            if time.time() - t0 > args.time_budget:
                evals[f"onnx-{name}"] = "skipped (time budget)"
                continue
            try:
                sess = onnx_session(variants[name], threads=max(1, (os.cpu_count() or 2) - 2))
                evals[f"onnx-{name}"] = evaluate_model(
                    None,
                    tok,
                    d,
                    args.smoke,
                    device,
                    None,
                    modes=tuple(args.ort_modes.split(",")),
                    step_fn=onnx_step_fn(sess),
                    batch_size=32,
                    workers=args.test_workers,
                )
            except Exception as e:
                evals[f"onnx-{name}"] = {"error": repr(e)}
            _log(f"onnx {name} eval: {evals[f'onnx-{name}']}")
    # Best prompt order first in the manifest (the engine uses the first it supports).
    orders = _rank_orders(evals.get("torch"), args.lang)
    if orders:
        m = json.loads((mod / "model.json").read_text())
        write_manifest(
            mod,
            name=m["name"],
            languages=m["languages"],
            architecture=m["architecture"],
            context_length=m["context_length"],
            quantization=m["quantization"],
            orders=orders,
            version=m["version"],
            description=m["description"],
        )
        report["orders"] = orders
    (mod / "MODEL_CARD.md").write_text(_model_card(args.lang, d, report, evals))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = split_file(mod / "model.onnx", out, f"{args.lang}-model.onnx")
    meta = out / f"{args.lang}-meta.tar.xz"
    (d / "join.sh").write_text(JOIN_SH)
    (d / "finalize.json").write_text(
        json.dumps(
            {
                "report": report,
                "evals": evals,
                "seconds": time.time() - t0,
                "args": {
                    "rounding": args.rounding,
                    "block_size": args.block_size,
                    "qat": qat_block,
                    "eight_bit_bytes": args.eight_bit_bytes,
                },
            },
            indent=1,
            default=str,
        )
    )
    with tarfile.open(meta, "w:xz") as tar:
        for p, arc in [
            (mod / "model.json", "model.json"),
            (mod / "tokenizer.json", "tokenizer.json"),
            (mod / "config.json", "config.json"),
            (mod / "MODEL_CARD.md", "MODEL_CARD.md"),
            (d / "corpus" / "manifest.json", "corpus_manifest.json"),
            (run / "train_log.jsonl", "train_log.jsonl"),
            (run / "summary.json", "summary.json"),
            (d / "eval" / "eval_curve.jsonl", "eval_curve.jsonl"),
            (d / "eval" / "heldout_lines.jsonl", "heldout_lines.jsonl"),
            (d / "eval" / "heldout_functions.jsonl", "heldout_functions.jsonl"),
            (d / "prepare.json", "prepare.json"),
            (d / "finalize.json", "finalize.json"),
            (d / "join.sh", "join.sh"),
            (run / "launch_config.json", "launch_config.json"),
        ]:
            if p.exists():
                tar.add(p, arcname=arc)
    files.append(meta.name)
    total = sum((out / f).stat().st_size for f in files)
    result = {
        "files": files,
        "bytes": total,
        "seconds": round(time.time() - t0, 1),
        "model_bytes": report["model_bytes"],
    }
    _log(f"finalize: {result}")
    return result


# -- weights in parts (fp32 reference at home, resume elsewhere) ---------------------------------
def pack_weights(
    src: Path, out: Path, prefix: str, int8: bool, state: dict[str, Any] | None
) -> list[str]:
    """Write ``src`` (a transformers folder) as ``prefix.safetensors`` parts + config/state."""
    import torch
    from safetensors.torch import load_file, save_file

    sd = load_file(str(src / "model.safetensors"))
    if int8:
        packed: dict[str, torch.Tensor] = {}
        for k, v in sd.items():
            v = v.float()
            if v.dim() == 2:
                scale = v.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / 127.0
                packed[k + ".q8"] = torch.round(v / scale).to(torch.int8)
                packed[k + ".scale"] = scale
            else:
                packed[k] = v
        sd = packed
    else:
        sd = {k: v.to(torch.bfloat16) for k, v in sd.items()}
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{prefix}.safetensors"
    save_file(sd, str(tmp))
    names = split_file(tmp, out, f"{prefix}.safetensors")
    tmp.unlink()
    side = {
        "config": json.loads((src / "config.json").read_text()),
        "state": state or {},
        "int8": int8,
    }
    (out / f"{prefix}.json").write_text(json.dumps(side))
    return [*names, f"{prefix}.json"]


def init_from_module(module_dir: Path, dest: Path, data_dir: Path) -> Path:
    """A module folder's weights (de-quantized from its ONNX graph) as a transformers folder
    for ``TrainConfig.init_from``. Unlike a resume pack it carries no ``state.json``: the run
    starts a fresh warm-up and schedule (continued pre-training from a shipped module)."""
    from tokenizers import Tokenizer

    from qwen_lsp.training.model import save_hf
    from qwen_lsp.training.module import weights_from_module

    manifest = json.loads((module_dir / "model.json").read_text())
    module_tok = Tokenizer.from_file(str(module_dir / manifest["tokenizer"]))
    data_tok = Tokenizer.from_file(str(data_dir / "tokenizer.json"))
    if module_tok.to_str() != data_tok.to_str():
        # Same vocabulary size is not enough: other ids would mean other tokens.
        raise SystemExit(
            f"{module_dir} has another tokenizer than {data_dir}: "
            "run prepare --tokenizer with the module's tokenizer.json"
        )
    if dest.exists():
        shutil.rmtree(dest)
    save_hf(weights_from_module(module_dir), dest)
    return dest


def unpack_weights(pack_dir: Path, dest: Path, prefix: str | None = None) -> Path:
    """Join the parts of a weights pack into a transformers folder (with ``state.json``)."""
    import torch
    from safetensors.torch import load_file, save_file

    sides = (
        sorted(pack_dir.glob("*-weights.json")) if prefix is None else [pack_dir / f"{prefix}.json"]
    )
    if not sides:
        raise SystemExit(f"no *-weights.json in {pack_dir}")
    side_path = sides[0]
    prefix = side_path.name[: -len(".json")]
    side = json.loads(side_path.read_text())
    dest.mkdir(parents=True, exist_ok=True)
    joined = dest / "packed.safetensors"
    parts = sorted(pack_dir.glob(f"{prefix}.safetensors.part*"))
    with open(joined, "wb") as f:
        if parts:
            for p in parts:
                f.write(p.read_bytes())
        else:
            f.write((pack_dir / f"{prefix}.safetensors").read_bytes())
    sd = load_file(str(joined))
    joined.unlink()
    if side.get("int8"):
        out: dict[str, torch.Tensor] = {}
        for k, v in sd.items():
            if k.endswith(".q8"):
                base = k[: -len(".q8")]
                out[base] = v.float() * sd[base + ".scale"]
            elif not k.endswith(".scale"):
                out[k] = v.float()
        sd = out
    else:
        sd = {k: v.float() for k, v in sd.items()}
    save_file({k: v.contiguous() for k, v in sd.items()}, str(dest / "model.safetensors"))
    (dest / "config.json").write_text(json.dumps(side["config"], indent=1))
    if side.get("state"):
        (dest / "state.json").write_text(json.dumps(side["state"]))
    return dest


def pack_calibration(data_dir: Path, out: Path, windows: int, length: int) -> list[str]:
    """A small token folder of ``windows`` windows of ``length`` training tokens spread evenly
    over ``data_dir``'s training split (one document per window), with its tokenizer: what
    ``finalize`` on the CPU machine needs for the GPTQ calibration and the logit checks."""
    import numpy as np

    from qwen_lsp.training.data import TokenData

    out.mkdir(parents=True, exist_ok=True)
    rows = TokenData.open(data_dir, "train").windows(windows, length)
    np.asarray(rows, dtype=np.uint16).tofile(out / "train.tokens.u16")
    docs = np.zeros((len(rows), 5), dtype=np.int64)  # start, length, package, path start/length
    docs[:, 0] = np.arange(len(rows)) * length
    docs[:, 1] = length
    np.save(out / "train.docs.npy", docs)
    (out / "train.paths.u16").write_bytes(b"")
    for name in ("tokenizer.json", "meta.json"):
        if (data_dir / name).exists():
            shutil.copyfile(data_dir / name, out / name)
    return sorted(p.name for p in out.iterdir())


def cmd_pack_calibration(args: argparse.Namespace) -> list[str]:
    """``pack_calibration`` of the language's token folder into ``--out``/calib."""
    d = _lang_dir(args.work, args.lang)
    return pack_calibration(d / "data", Path(args.out) / "calib", args.windows, args.length)


def cmd_pack_weights(args: argparse.Namespace) -> list[str]:
    """Weights in <= 15 MiB parts into ``--out`` (``--parts a:b`` keeps a slice per call)."""
    import torch

    d = _lang_dir(args.work, args.lang)
    run = d / "run"
    src = _weights_dir(run, args.weights)
    state = None
    if (run / "checkpoint.pt").exists() and args.int8:
        ck = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
        state = {
            k: ck["state"][k]
            for k in ("step", "tokens", "progress", "best_val", "runs")
            if k in ck["state"]
        }
    staging = d / "pack"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    names = pack_weights(src, staging, f"{args.lang}-weights", args.int8, state)
    (staging / "join.sh").write_text(JOIN_SH)
    names.append("join.sh")
    parts = [n for n in names if ".part" in n]
    lo, hi = (int(x) if x else None for x in args.parts.split(":")) if args.parts else (None, None)
    chosen = parts[lo:hi] if parts else []
    keep = [n for n in names if ".part" not in n] + chosen
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for n in keep:
        shutil.copyfile(staging / n, out / n)
    _log(f"packed {len(parts)} parts in total; this call returns {keep}")
    return keep


# -- CLI ---------------------------------------------------------------------------------------
def add_weights_choice(p: argparse.ArgumentParser) -> None:
    """``--weights`` as finalize and pack-weights read it (``_weights_dir``)."""
    p.add_argument(
        "--weights",
        default="best",
        help="best or final of the run, or a weights folder (absolute or relative to the run)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The subcommands."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("QWEN_WORK", DEFAULT_WORK)))
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add(name: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name)
        p.add_argument("--work", type=Path, default=argparse.SUPPRESS)
        p.add_argument("--smoke", action="store_true", help="tiny everything, for a CPU test")
        return p

    p = add("prepare")
    p.add_argument("--lang", choices=["python", "javascript"], required=True)
    p.add_argument("--vocab", type=int, default=16384)
    p.add_argument("--bpe-sample-mb", type=float, default=80.0)
    p.add_argument("--heldout-fraction", type=float, default=0.03)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--js-corpus", default=str(REPO / ".carry" / "js_corpus"))
    p.add_argument(
        "--extra-site",
        action="append",
        help="Python only: another site-packages tree (folder or .tar.xz) to add to the corpus",
    )
    p.add_argument("--humaneval", default=None)
    p.add_argument(
        "--tokenizer", default=None, help="reuse this tokenizer.json (resume on another machine)"
    )
    p.add_argument(
        "--bench-heldout",
        default=str(REPO / "bench" / "data" / "heldout_python.jsonl.gz"),
        help="Python only: line tasks whose packages stay held out (the committed bench's);"
        " 'none' for no such file",
    )

    for name in ("launch", "train", "evalwatch"):
        p = add(name)
        p.add_argument("--lang", choices=["python", "javascript"], required=True)
        p.add_argument("--deadline", type=float, default=None, help="epoch seconds")
        if name == "launch":
            p.add_argument(
                "--minutes", type=float, default=20.0, help="training wall-clock from now"
            )
            p.add_argument("--preset", default="int4-50m")
            p.add_argument(
                "--config", default=None, help="JSON (file or text) of TrainConfig overrides"
            )
            p.add_argument("--eval-every-minutes", type=float, default=4.0)
            p.add_argument("--no-eval", action="store_true")
            start = p.add_mutually_exclusive_group()
            start.add_argument(
                "--resume-pack", default=None, help="folder with a pack-weights --int8 pack"
            )
            start.add_argument(
                "--init-module",
                default=None,
                help="start from this module folder's weights (fresh schedule; same tokenizer)",
            )
        if name == "train":
            p.add_argument("--config", required=True)
        if name == "evalwatch":
            p.add_argument("--test-workers", type=int, default=6)

    p = add("wait")
    p.add_argument("--minutes", type=float, default=9.0)
    p.add_argument("--every", type=float, default=45.0)
    p.add_argument("--langs", nargs="*", default=None)

    add("status")

    p = add("finalize")
    p.add_argument("--lang", choices=["python", "javascript"], required=True)
    p.add_argument("--out", default=os.environ.get("OUT", "out"))
    p.add_argument("--quant", choices=["int4", "int8", "fp32"], default="int4")
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument(
        "--rounding",
        choices=["gptq", "rtn", "qat"],
        default=None,
        help="int4 rounding: GPTQ on training windows, round-to-nearest with the outlier search, "
        "or the plain grid a QAT run trained for (default: qat after a QAT run, else gptq)",
    )
    p.add_argument(
        "--eight-bit-bytes",
        type=int,
        default=0,
        help="int4 only: store the weight groups (per layer q/k/v, o, gate/up, down) that most "
        "reduce the KL to fp32 per byte at 8 bits, within this many extra bytes (0: pure int4)",
    )
    p.add_argument(
        "--eight-bit-windows", type=int, default=8, help="training windows measured for that"
    )
    p.add_argument("--eight-bit-tokens", type=int, default=512, help="tokens per such window")
    add_weights_choice(p)
    p.add_argument("--version", default="2026.11.0")
    p.add_argument("--wait-max", type=float, default=0.0, help="seconds to wait for the run to end")
    p.add_argument("--stop", action="store_true", help="ask a still-running run to stop now")
    p.add_argument("--no-eval", action="store_true")
    p.add_argument(
        "--ort-all",
        action="store_true",
        help="also evaluate fp32 and the other quantization with ONNX Runtime",
    )
    p.add_argument("--ort-modes", default="spm,prefix")
    p.add_argument("--all-variants", action="store_true")
    p.add_argument("--test-workers", type=int, default=12)
    p.add_argument(
        "--time-budget",
        type=float,
        default=420.0,
        help="skip further ONNX evaluations after this many seconds",
    )

    p = add("pack-calibration")
    p.add_argument("--lang", choices=["python", "javascript"], required=True)
    p.add_argument("--out", default=os.environ.get("OUT", "out"))
    p.add_argument("--windows", type=int, default=256)
    p.add_argument("--length", type=int, default=1024)

    p = add("pack-weights")
    p.add_argument("--lang", choices=["python", "javascript"], required=True)
    p.add_argument("--out", default=os.environ.get("OUT", "out"))
    add_weights_choice(p)
    p.add_argument("--int8", action="store_true", help="int8 per-row (half the size; for resuming)")
    p.add_argument("--parts", default=None, help="slice of parts to return, e.g. 0:4")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    args.work = Path(args.work)
    args.work.mkdir(parents=True, exist_ok=True)
    _install_code(args.work)
    cmd = args.cmd.replace("-", "_")
    result = globals()[f"cmd_{cmd}"](args)
    if isinstance(result, (dict, list)):
        print(json.dumps(result, indent=1, default=str), flush=True)
    return 0 if not isinstance(result, int) else result


if __name__ == "__main__":
    sys.exit(main())
