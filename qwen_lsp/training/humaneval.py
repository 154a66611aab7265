"""HumanEval single-line infilling and held-out line completion.

**Tasks** (``humaneval_line_tasks``): for each HumanEval problem and each non-blank line of its
canonical solution, the prefix is the prompt plus the solution up to that line *and the line's
indentation* (the cursor sits where an editor leaves it), the suffix is the rest of the solution
from the line's end. 164 problems give 1,033 tasks. A generation is scored by keeping its first
line, splicing it in, and running the problem's tests in a subprocess with a timeout; pass@1 is
greedy. A line identical to the canonical one passes without running (the canonical solutions
pass their tests).

**The generation function is a parameter**: ``GenerateFn`` takes a batch of ``InfillTask`` and
returns the text generated at each cursor (the harness keeps the first line), so the real engine
(``bench/quality.py``) and the training-time proxy below share the harness.

**Proxy generators** (checkpoint curves during training, ONNX variants after export):
``make_infiller`` builds batched greedy decoders over a PyTorch ``QwenDecoder`` or an ONNX
Runtime session, with the prompt formats of docs/model-module.md (``spm``, ``psm``, ``prefix``),
token healing as the engine does it (only when the cursor splits a token, decided as
``engine/healing.py`` decides it: would typing on change the prompt's last token? Then that token
is removed and the first generated token must start with its text) and the first line kept.

``heldout_line_tasks`` makes line-completion tasks (exact match, edit similarity) from held-out
package files, for Python and JavaScript alike.
"""

from __future__ import annotations

import bisect
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qwen_lsp.training import (
    EOT_ID,
    FILE_SEP_ID,
    FIM_MIDDLE_ID,
    FIM_PREFIX_ID,
    FIM_SUFFIX_ID,
    SPECIAL_TOKENS,
)
from qwen_lsp.training.corpus import load_humaneval


@dataclass
class InfillTask:
    """One cursor position: generate the text between ``prefix`` and ``suffix``."""

    task_id: str
    prefix: str
    suffix: str
    target: str  # the reference line (text after the cursor up to the end of the line)
    path: str = "solution.py"
    language: str = "python"
    problem: str | None = None  # HumanEval task id whose tests judge the line
    context: list[tuple[str, str]] = field(default_factory=list)  # cross-file (path, snippet)

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> InfillTask:
        """Inverse of ``to_json``."""
        d = json.loads(line)
        d["context"] = [tuple(x) for x in d.get("context", [])]
        return cls(**d)


GenerateFn = Callable[[Sequence[InfillTask]], list[str]]


# -- HumanEval tasks ---------------------------------------------------------------------------
def humaneval_line_tasks(problems: Sequence[dict[str, Any]] | None = None) -> list[InfillTask]:
    """Single-line infilling tasks: every non-blank canonical-solution line of every problem."""
    problems = problems if problems is not None else load_humaneval()
    tasks = []
    for p in problems:
        lines = p["canonical_solution"].split("\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            indent = line[: len(line) - len(line.lstrip())]
            content = line[len(indent) :]
            prefix = p["prompt"] + "".join(x + "\n" for x in lines[:i]) + indent
            suffix = "\n" + "\n".join(lines[i + 1 :])
            tasks.append(
                InfillTask(
                    task_id=f"{p['task_id']}#{i}",
                    prefix=prefix,
                    suffix=suffix,
                    target=content.rstrip(),
                    problem=p["task_id"],
                )
            )
    return tasks


def first_line(text: str) -> str:
    """The generated text up to its first newline, trailing whitespace removed."""
    return text.split("\n", 1)[0].rstrip()


# Prepended to every test program: the model's code must not touch the machine. Adapted from
# the reliability guard of OpenAI's human-eval (MIT).
_GUARD = """\
import builtins as _b, os as _o, shutil as _sh, subprocess as _sp, resource as _r, faulthandler as _f
try:
    _r.setrlimit(_r.RLIMIT_AS, (2 << 30, 2 << 30))
except Exception:
    pass
_f.disable()
for _n in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
           "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod",
           "fchown", "chmod", "chown", "chroot", "lchown", "chdir"):
    setattr(_o, _n, None)
_sh.rmtree = _sh.move = _sh.chown = None
_sp.Popen = None
_b.exit = _b.quit = None
"""


def humaneval_program(task: InfillTask, line: str, problem: dict[str, Any]) -> str:
    """The test program for ``line`` generated at ``task``'s cursor."""
    return (
        _GUARD
        + task.prefix
        + line
        + task.suffix
        + "\n\n"
        + problem["test"]
        + f"\n\ncheck({problem['entry_point']})\n"
    )


def run_program(program: str, timeout: float = 10.0) -> bool:
    """Run ``program`` in a fresh interpreter in an empty temp folder; True when it exits 0."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            res = subprocess.run(
                [sys.executable, "-I", "-c", program],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"},
            )
        except subprocess.TimeoutExpired:
            return False
    return res.returncode == 0


def evaluate_humaneval(
    generate: GenerateFn,
    tasks: Sequence[InfillTask] | None = None,
    problems: Sequence[dict[str, Any]] | None = None,
    workers: int | None = None,
    timeout: float = 10.0,
    chunk: int = 256,
    keep_records: bool = False,
) -> dict[str, Any]:
    """pass@1 (greedy) of ``generate`` on HumanEval single-line infilling."""
    problems = problems if problems is not None else load_humaneval()
    by_id = {p["task_id"]: p for p in problems}
    tasks = list(tasks) if tasks is not None else humaneval_line_tasks(problems)
    completions: list[str] = []
    for s in range(0, len(tasks), chunk):
        completions.extend(generate(tasks[s : s + chunk]))
    lines = [first_line(c) for c in completions]
    exact = [ln == t.target for ln, t in zip(lines, tasks, strict=True)]
    passed = list(exact)
    todo = [i for i, e in enumerate(exact) if not e and lines[i].strip()]
    programs = {
        i: humaneval_program(tasks[i], lines[i], by_id[tasks[i].problem or ""]) for i in todo
    }
    cache: dict[str, bool] = {}
    unique = list(dict.fromkeys(programs.values()))
    with ThreadPoolExecutor(workers or max(1, (os.cpu_count() or 2))) as ex:
        for prog, ok in zip(unique, ex.map(lambda p: run_program(p, timeout), unique), strict=True):
            cache[prog] = ok
    for i, prog in programs.items():
        passed[i] = cache[prog]
    n = len(tasks)
    out: dict[str, Any] = {
        "tasks": n,
        "pass@1": sum(passed) / max(n, 1),
        "exact_match": sum(exact) / max(n, 1),
        "empty": sum(1 for ln in lines if not ln.strip()) / max(n, 1),
        "problems_all_lines_pass": sum(
            all(passed[i] for i in idx) for idx in _group_by_problem(tasks).values()
        ),
    }
    if keep_records:
        out["records"] = [
            {"task_id": t.task_id, "target": t.target, "line": ln, "passed": ok}
            for t, ln, ok in zip(tasks, lines, passed, strict=True)
        ]
    return out


def _group_by_problem(tasks: Sequence[InfillTask]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(tasks):
        groups.setdefault(t.problem or "", []).append(i)
    return groups


# -- held-out line completion ------------------------------------------------------------------
def heldout_line_tasks(
    records: Iterable[dict[str, str]],
    n: int = 500,
    seed: int = 0,
    language: str = "python",
    max_prefix_chars: int = 4000,
    max_suffix_chars: int = 1500,
    min_line_chars: int = 6,
) -> list[InfillTask]:
    """Random lines of held-out files: cursor after the indentation, target = the line."""

    def candidates(lines: list[str], _path: str) -> list[int]:
        return [i for i, ln in enumerate(lines) if i >= 3 and len(ln.strip()) >= min_line_chars]

    files = _candidate_lines(records, candidates)
    return _sample_line_tasks(files, n, seed, language, max_prefix_chars, max_suffix_chars)


def function_line_tasks(
    records: Iterable[dict[str, str]],
    n: int = 500,
    seed: int = 0,
    max_prefix_chars: int = 4000,
    max_suffix_chars: int = 1500,
    min_line_chars: int = 6,
    max_per_package: int | None = 25,
    language: str = "python",
) -> list[InfillTask]:
    """Held-out lines of the kind HumanEval asks for, without HumanEval: code lines in the
    bodies of documented short functions (``selection.documented_function_body_lines``: after
    a docstring, 2-40 lines of code), cursor after the indentation. A dev set for choosing
    between builds, since library code as a whole does not move with the test set (the
    held-out loss rose in every annealing stage that improved HumanEval). ``max_per_package``
    keeps one large package from filling the set. ``language``: ``python``, or ``javascript``
    for a JavaScript/TypeScript corpus (each file parsed as its extension says; functions after
    a ``/** ... */`` comment)."""
    from qwen_lsp.training.selection import documented_function_body_lines

    registry = None
    if language != "python":
        # The syntax layer (tree-sitter grammars) only for other languages: the GPU machine's
        # copy of this package has no syntax layer, and Python needs none (``ast``).
        from qwen_lsp.syntax.languages import default_registry

        registry = default_registry()

    def candidates(lines: list[str], path: str) -> list[int]:
        file_language = "python"
        if registry is not None:
            found = registry.for_path(path)
            file_language = found.id if found is not None else language
        body = documented_function_body_lines("\n".join(lines), file_language)
        return [i for i in body if len(lines[i].strip()) >= min_line_chars]

    # Only files that have such lines share the draw: in JavaScript most held-out files have
    # none, and a draw over all files would take one line from each of the few that do.
    having = [file for file in _candidate_lines(records, candidates) if file[2]]
    return _sample_line_tasks(
        having,
        n,
        seed,
        language,
        max_prefix_chars,
        max_suffix_chars,
        max_per_package,
    )


CandidateFile = tuple[dict[str, str], list[str], list[int]]


def _candidate_lines(
    records: Iterable[dict[str, str]], candidates: Callable[[list[str], str], list[int]]
) -> list[CandidateFile]:
    """Each record of 11 lines or more, with its lines and the indices ``candidates`` offers
    (parsed once: the draw reads them again)."""
    files = []
    for r in records:
        if r["text"].count("\n") >= 10:
            lines = r["text"].split("\n")
            files.append((r, lines, candidates(lines, r["path"])))
    return files


def _sample_line_tasks(
    files: list[CandidateFile],
    n: int,
    seed: int,
    language: str,
    max_prefix_chars: int,
    max_suffix_chars: int,
    max_per_package: int | None = None,
) -> list[InfillTask]:
    """Up to ``n`` line tasks, a few per file over shuffled files, from each file's candidate
    lines (at most ``max_per_package`` from one package)."""
    rng = random.Random(seed)
    files = list(files)
    rng.shuffle(files)
    tasks: list[InfillTask] = []
    per_file = max(1, n // max(1, len(files)) + 1)
    per_package: dict[str, int] = {}
    for r, lines, cands in files:
        if max_per_package is not None and per_package.get(r["package"], 0) >= max_per_package:
            continue
        for i in rng.sample(cands, min(per_file, len(cands))):
            if max_per_package is not None and per_package.get(r["package"], 0) >= max_per_package:
                break
            line = lines[i]
            indent = line[: len(line) - len(line.lstrip())]
            before = "".join(x + "\n" for x in lines[:i])
            if len(before) > max_prefix_chars:
                cut = before.find("\n", len(before) - max_prefix_chars)
                before = before[cut + 1 :]
            after = "\n" + "\n".join(lines[i + 1 :])
            if len(after) > max_suffix_chars:
                after = after[: after.rfind("\n", 0, max_suffix_chars)]
            tasks.append(
                InfillTask(
                    task_id=f"{r['package']}/{r['path']}#{i}",
                    prefix=before + indent,
                    suffix=after,
                    target=line.strip(),
                    path=r["path"],
                    language=language,
                )
            )
            per_package[r["package"]] = per_package.get(r["package"], 0) + 1
            if len(tasks) >= n:
                return tasks
    return tasks


def edit_similarity(a: str, b: str) -> float:
    """1 - Levenshtein(a, b) / max(len): 1.0 for identical strings."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def evaluate_line_completion(
    generate: GenerateFn, tasks: Sequence[InfillTask], chunk: int = 256
) -> dict[str, Any]:
    """Exact match and edit similarity of the first generated line against the real line."""
    outs: list[str] = []
    for s in range(0, len(tasks), chunk):
        outs.extend(generate(tasks[s : s + chunk]))
    lines = [first_line(o).strip() for o in outs]
    em = [ln == t.target for ln, t in zip(lines, tasks, strict=True)]
    es = [edit_similarity(ln, t.target) for ln, t in zip(lines, tasks, strict=True)]
    n = max(len(tasks), 1)
    return {
        "tasks": len(tasks),
        "exact_match": sum(em) / n,
        "edit_similarity": float(np.mean(es)) if es else 0.0,
        "empty": sum(1 for ln in lines if not ln) / n,
    }


# -- proxy generators --------------------------------------------------------------------------
# What a user typically types next: the engine's ``healing._PROBES`` (restated: the GPU job's
# code copy has no engine).
_TYPED_ON = ("a", "x_", "(", ".", "0")


class PromptBuilder:
    """Token ids of a task's prompt in one of the contract's orders, with token healing."""

    def __init__(
        self, tok: Any, mode: str, heal: bool = True, max_prompt_tokens: int = 1900
    ) -> None:
        if mode not in ("spm", "psm", "prefix"):
            raise ValueError(f"unknown prompt mode {mode!r}")
        self.tok, self.mode, self.heal, self.max_prompt = tok, mode, heal, max_prompt_tokens
        self.texts = [
            SPECIAL_TOKENS[i]
            if i < len(SPECIAL_TOKENS)
            else tok.decode([i], skip_special_tokens=False)
            for i in range(tok.get_vocab_size())
        ]
        order = sorted(range(len(self.texts)), key=lambda i: self.texts[i])
        self._sorted_ids = np.array(order)
        self._sorted_texts = [self.texts[i] for i in order]

    def encode(self, text: str) -> list[int]:
        """Plain-text encoding (special-token strings are not control tokens here)."""
        prev = self.tok.encode_special_tokens
        self.tok.encode_special_tokens = True
        try:
            return self.tok.encode(text, add_special_tokens=False).ids
        finally:
            self.tok.encode_special_tokens = prev

    def is_split(self, ids: list[int]) -> bool:
        """Whether typing on would change the prompt's last token (the cursor sits inside a
        token). The engine's rule (``engine/healing.py``), restated here because the GPU job's
        code copy has no engine: after indentation this tokenizer ends a token, so healing
        there would only force the model to re-decide the indentation (run 2's weights lost 22
        HumanEval tasks and gained 2 that way)."""
        last = self.texts[ids[-1]]
        # A partly typed word: the vocabulary has longer tokens that start with it.
        if (last[-1:].isalnum() or last.endswith("_")) and len(self.allowed_for(last)) > 1:
            return True
        two = len(ids) >= 2 and ids[-2] >= len(SPECIAL_TOKENS)
        tail_ids = ids[-2:] if two else ids[-1:]
        tail = self.tok.decode(tail_ids, skip_special_tokens=False)
        return any(self.encode(tail + p)[: len(tail_ids)] != tail_ids for p in _TYPED_ON)

    def allowed_for(self, heal: str) -> np.ndarray:
        """Ids of the tokens whose text starts with ``heal`` (contiguous in sorted order)."""
        lo = bisect.bisect_left(self._sorted_texts, heal)
        hi = lo
        while hi < len(self._sorted_texts) and self._sorted_texts[hi].startswith(heal):
            hi += 1
        return self._sorted_ids[lo:hi]

    def build(self, task: InfillTask) -> tuple[list[int], str]:
        """``(prompt ids, healed text)``: the generation must start with the healed text."""
        p_ids = self.encode(task.prefix)
        s_ids = self.encode(task.suffix) if self.mode != "prefix" else []
        heal = ""
        if self.heal and p_ids and p_ids[-1] >= len(SPECIAL_TOKENS) and self.is_split(p_ids):
            heal = self.texts[p_ids[-1]]
            p_ids = p_ids[:-1]
        ctx: list[int] = []
        for path, snippet in task.context:
            ctx += [FILE_SEP_ID, *self.encode(f"{path}\n{snippet}\n")]
        if ctx:
            ctx += [FILE_SEP_ID, *self.encode(f"{task.path}\n")]
        budget = self.max_prompt - len(ctx) - 4
        if self.mode != "prefix":
            s_ids = s_ids[: max(0, min(len(s_ids), budget // 3))]
        p_ids = p_ids[-max(1, budget - len(s_ids)) :]
        if self.mode == "spm":
            ids = [*ctx, FIM_PREFIX_ID, FIM_SUFFIX_ID, *s_ids, FIM_MIDDLE_ID, *p_ids]
        elif self.mode == "psm":
            ids = [*ctx, FIM_PREFIX_ID, *p_ids, FIM_SUFFIX_ID, *s_ids, FIM_MIDDLE_ID]
        else:
            ids = [*ctx, *p_ids]
        return ids, heal


StepFn = Callable[
    [np.ndarray, np.ndarray, np.ndarray, Any], tuple[np.ndarray, Any]
]  # (ids, mask, pos, past) -> (last-position logits [b, vocab] float32, new past)


def greedy_batch(
    step: StepFn,
    prompts: Sequence[list[int]],
    heals: Sequence[str],
    builder: PromptBuilder,
    max_new_tokens: int = 48,
    stop_at_newline: bool = True,
) -> list[str]:
    """Greedy decoding of a left-padded batch; returns each completion with the healed text
    removed, cut at the first newline after it."""
    b = len(prompts)
    width = max(len(p) for p in prompts)
    ids = np.zeros((b, width), np.int64)
    mask = np.zeros((b, width), np.int64)
    for r, p in enumerate(prompts):
        ids[r, width - len(p) :] = p
        mask[r, width - len(p) :] = 1
    pos = np.maximum(np.cumsum(mask, axis=1) - 1, 0)
    logits, past = step(ids, mask, pos, None)
    out_ids: list[list[int]] = [[] for _ in range(b)]
    text: list[str] = ["" for _ in range(b)]
    done = np.zeros(b, bool)
    next_pos = pos[:, -1:] + 1
    for t in range(max_new_tokens):
        if t == 0:
            for r, h in enumerate(heals):
                if h:
                    allowed = builder.allowed_for(h)
                    bias = np.full(logits.shape[1], -np.inf, np.float32)
                    bias[allowed] = 0.0
                    logits[r] = logits[r] + bias
        nxt = logits.argmax(-1)
        for r in range(b):
            if done[r]:
                continue
            tid = int(nxt[r])
            if tid < len(SPECIAL_TOKENS):
                done[r] = True
                continue
            out_ids[r].append(tid)
            text[r] += builder.texts[tid]
            if stop_at_newline and "\n" in text[r][len(heals[r]) :]:
                done[r] = True
        if done.all() or t == max_new_tokens - 1:
            break
        feed = np.where(done, EOT_ID, nxt).astype(np.int64)[:, None]
        mask = np.concatenate([mask, np.ones((b, 1), np.int64)], axis=1)
        logits, past = step(feed, mask, next_pos, past)
        next_pos = next_pos + 1
    results = []
    for r in range(b):
        full = builder.tok.decode(out_ids[r], skip_special_tokens=False)
        h = heals[r]
        comp = full[len(h) :] if full.startswith(h) else full
        results.append(comp.split("\n", 1)[0] if stop_at_newline else comp)
    return results


def torch_step_fn(model: Any, device: Any, dtype: Any) -> StepFn:
    """A ``StepFn`` over ``QwenDecoder.forward_with_past``."""
    import torch

    @torch.no_grad()
    def step(
        ids: np.ndarray, mask: np.ndarray, pos: np.ndarray, past: Any
    ) -> tuple[np.ndarray, Any]:
        t_ids = torch.from_numpy(ids).to(device)
        t_mask = torch.from_numpy(mask).to(device)
        t_pos = torch.from_numpy(np.ascontiguousarray(pos)).to(device)
        if past is None:
            past = model.empty_past(ids.shape[0], device=device, dtype=dtype)
        logits, present = model.forward_with_past(t_ids, t_mask, t_pos, past, sdpa=True)
        return logits[:, -1].float().cpu().numpy(), present

    return step


def onnx_step_fn(session: Any) -> StepFn:
    """A ``StepFn`` over an ONNX Runtime session of the decoder layout."""
    past_inputs = [i for i in session.get_inputs() if i.name.startswith("past_key_values.")]
    names = [i.name for i in past_inputs]
    kv_heads, head_dim = past_inputs[0].shape[1], past_inputs[0].shape[3]

    def step(
        ids: np.ndarray, mask: np.ndarray, pos: np.ndarray, past: Any
    ) -> tuple[np.ndarray, Any]:
        b = ids.shape[0]
        if past is None:
            past = [np.zeros((b, kv_heads, 0, head_dim), np.float32)] * len(names)
        feed = {"input_ids": ids, "attention_mask": mask, "position_ids": np.ascontiguousarray(pos)}
        feed.update(zip(names, past, strict=True))
        out = session.run(None, feed)
        return out[0][:, -1].astype(np.float32), out[1:]

    return step


def make_infiller(
    step: StepFn,
    tok: Any,
    mode: str,
    batch_size: int = 64,
    max_new_tokens: int = 48,
    heal: bool = True,
    max_prompt_tokens: int = 1900,
    max_batch_tokens: int = 65536,
) -> GenerateFn:
    """A ``GenerateFn`` that decodes tasks greedily in batches of similar prompt length
    (at most ``batch_size`` rows and about ``max_batch_tokens`` padded prompt tokens)."""
    builder = PromptBuilder(tok, mode, heal, max_prompt_tokens)

    def generate(tasks: Sequence[InfillTask]) -> list[str]:
        built = [builder.build(t) for t in tasks]
        order = sorted(range(len(tasks)), key=lambda i: len(built[i][0]))
        results: list[str] = [""] * len(tasks)
        groups: list[list[int]] = [[]]
        for i in order:
            g = groups[-1]
            width = len(built[i][0]) + max_new_tokens
            if g and (len(g) >= batch_size or (len(g) + 1) * width > max_batch_tokens):
                groups.append([])
            groups[-1].append(i)
        for idx in groups:
            if not idx:
                continue
            outs = greedy_batch(
                step,
                [built[i][0] for i in idx],
                [built[i][1] for i in idx],
                builder,
                max_new_tokens,
            )
            for i, o in zip(idx, outs, strict=True):
                results[i] = o
        return results

    return generate


def save_tasks(tasks: Sequence[InfillTask], path: str | Path) -> None:
    """Write tasks as JSON lines."""
    Path(path).write_text("".join(t.to_json() + "\n" for t in tasks), encoding="utf-8")


def load_tasks(path: str | Path) -> list[InfillTask]:
    """Read tasks written by ``save_tasks`` (gzip-compressed when the name ends in ``.gz``, as
    the committed ``bench/data`` files are)."""
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    else:
        text = path.read_text(encoding="utf-8")
    return [InfillTask.from_json(x) for x in text.splitlines() if x.strip()]


def bench_heldout_packages(tasks_file: str | None) -> set[str]:
    """Packages of a line-task file (``<package>/<path>#<line>`` ids): a corpus built from
    other sources must still hold them out, or the committed benchmark would measure lines the
    model trained on. An empty set for ``none``; a named file that is missing is an error."""
    if not tasks_file or tasks_file == "none":
        return set()
    path = Path(tasks_file)
    if not path.exists():
        raise SystemExit(f"no line-task file {path} (pass --bench-heldout none to skip)")
    return {package_of(t.task_id) for t in load_tasks(path)}


def package_of(task_id: str) -> str:
    """The package of a line task's id, ``<package>/<path>#<line>`` (npm's scoped names,
    ``@scope/name``, take two segments)."""
    parts = task_id.split("/")
    return "/".join(parts[:2]) if task_id.startswith("@") else parts[0]
