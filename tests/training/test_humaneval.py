"""HumanEval single-line infilling harness and the proxy generators' prompt formats."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import dataclasses
from pathlib import Path

import numpy as np
import torch

from qwen_lsp.training import FILE_SEP_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID
from qwen_lsp.training.corpus import load_humaneval
from qwen_lsp.training.export import export_onnx, onnx_session
from qwen_lsp.training.humaneval import (
    InfillTask,
    PromptBuilder,
    edit_similarity,
    evaluate_humaneval,
    evaluate_line_completion,
    heldout_line_tasks,
    humaneval_line_tasks,
    load_tasks,
    make_infiller,
    onnx_step_fn,
    save_tasks,
    torch_step_fn,
)
from qwen_lsp.training.model import PRESETS, QwenDecoder
from qwen_lsp.training.tokenizer import encode_plain

from .conftest import needs_humaneval

pytestmark = needs_humaneval


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    return load_humaneval()


def test_tasks(problems: list[dict]) -> None:
    tasks = humaneval_line_tasks(problems)
    assert len(tasks) == 1033
    t = tasks[0]
    p = problems[0]
    line = p["canonical_solution"].split("\n")[0]
    assert (
        t.prefix == p["prompt"] + line[: len(line) - len(line.lstrip())]
    )  # cursor after indentation
    assert t.target == line.strip()
    assert t.prefix + t.target + t.suffix == p["prompt"] + p["canonical_solution"].rstrip(
        "\n"
    ) + "\n" * (p["canonical_solution"].endswith("\n"))


def test_harness_scores_canonical_and_wrong_lines(problems: list[dict]) -> None:
    tasks = [
        t for t in humaneval_line_tasks(problems) if t.problem in ("HumanEval/0", "HumanEval/2")
    ]
    perfect = evaluate_humaneval(
        lambda ts: [t.target + "\nmore" for t in ts], tasks, problems, workers=2
    )
    assert (
        perfect["pass@1"] == 1.0
        and perfect["exact_match"] == 1.0
        and perfect["problems_all_lines_pass"] == 2
    )
    wrong = evaluate_humaneval(
        lambda ts: ["raise SystemExit(3)" for _ in ts], tasks, problems, workers=2
    )
    assert wrong["pass@1"] == 0.0 and wrong["exact_match"] == 0.0
    empty = evaluate_humaneval(lambda ts: ["" for _ in ts], tasks, problems, workers=2)
    assert empty["empty"] == 1.0 and empty["pass@1"] == 0.0
    # A different but correct line passes by running the tests.
    t2 = [t for t in tasks if t.target == "return number % 1.0"]
    assert (
        evaluate_humaneval(lambda ts: ["return number - int(number)"], t2, problems, workers=1)[
            "pass@1"
        ]
        == 1.0
    )


def test_line_completion_metrics(tmp_path: Path) -> None:
    rec = {
        "package": "p",
        "path": "p/a.py",
        "text": "\n".join(f"    value_{i} = compute({i})" for i in range(30)),
    }
    tasks = heldout_line_tasks([rec], n=5)
    assert len(tasks) == 5 and all(t.prefix.endswith("    ") for t in tasks)
    save_tasks(tasks, tmp_path / "t.jsonl")
    assert load_tasks(tmp_path / "t.jsonl") == tasks
    r = evaluate_line_completion(lambda ts: [t.target for t in ts], tasks)
    assert r["exact_match"] == 1.0 and r["edit_similarity"] == 1.0
    assert edit_similarity("abc", "abd") == pytest.approx(2 / 3)


def test_prompt_formats_follow_the_contract(tokenizer) -> None:  # type: ignore[no-untyped-def]
    task = InfillTask(
        "t",
        prefix="def f(x):\n    y = x",
        suffix="\n    return y\n",
        target="",
        context=[("a.py", "A = 1")],
        path="b.py",
    )
    enc = lambda s: encode_plain(tokenizer, s)  # noqa: E731
    for mode in ("spm", "psm", "prefix"):
        b = PromptBuilder(tokenizer, mode, heal=False)
        ids, heal = b.build(task)
        ctx = [FILE_SEP_ID, *enc("a.py\nA = 1\n"), FILE_SEP_ID, *enc("b.py\n")]
        assert ids[: len(ctx)] == ctx and heal == ""
        body = ids[len(ctx) :]
        if mode == "spm":
            assert body == [
                FIM_PREFIX_ID,
                FIM_SUFFIX_ID,
                *enc(task.suffix),
                FIM_MIDDLE_ID,
                *enc(task.prefix),
            ]
        elif mode == "psm":
            assert body == [
                FIM_PREFIX_ID,
                *enc(task.prefix),
                FIM_SUFFIX_ID,
                *enc(task.suffix),
                FIM_MIDDLE_ID,
            ]
        else:
            assert body == enc(task.prefix)
    # Inside a word the prompt is backed up by one token, whose text the generation must
    # start with.
    typing = dataclasses.replace(task, prefix="def f(values):\n    tot")
    plain, _ = PromptBuilder(tokenizer, "spm", heal=False).build(typing)
    healed, heal = PromptBuilder(tokenizer, "spm").build(typing)
    assert heal and healed == plain[:-1]
    assert tokenizer.decode(enc(typing.prefix)).endswith(heal)
    allowed = PromptBuilder(tokenizer, "spm").allowed_for(heal)
    assert all(tokenizer.decode([int(i)]).startswith(heal) for i in allowed) and len(allowed) >= 1


def test_torch_and_onnx_generators_agree(tokenizer, tmp_path: Path, problems: list[dict]) -> None:  # type: ignore[no-untyped-def]
    shape = dataclasses.replace(
        PRESETS["tiny"], vocab_size=tokenizer.get_vocab_size(), initializer_range=0.2
    )
    model = QwenDecoder(shape)
    model.init_weights(seed=11)
    model.eval()
    path = export_onnx(model, tmp_path / "m.onnx")
    tasks = humaneval_line_tasks(problems)[:12]
    for mode in ("spm", "psm", "prefix"):
        a = make_infiller(
            torch_step_fn(model, "cpu", torch.float32),
            tokenizer,
            mode,
            batch_size=5,
            max_new_tokens=8,
        )(tasks)
        b = make_infiller(
            onnx_step_fn(onnx_session(path)), tokenizer, mode, batch_size=12, max_new_tokens=8
        )(tasks)
        assert a == b  # batched (padded) decoding == other batching, torch == ONNX Runtime
        assert all("\n" not in x for x in a)
    r = evaluate_humaneval(
        make_infiller(onnx_step_fn(onnx_session(path)), tokenizer, "spm", max_new_tokens=8),
        tasks,
        problems,
        workers=2,
    )
    assert 0.0 <= r["pass@1"] <= 1.0 and r["tasks"] == 12
    assert np.isfinite(r["empty"])


def test_proxy_heals_only_a_split_token(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """Like the engine: inside a word the last token is backed up; after indentation (a token
    boundary for this tokenizer) the prompt stays as it is."""
    inside = InfillTask("t", prefix="def f(values):\n    tot", suffix="\n", target="")
    after_indent = InfillTask("t", prefix="def f(values):\n    ", suffix="\n", target="")
    b = PromptBuilder(tokenizer, "spm")
    ids, heal = b.build(inside)
    assert heal and "tot".endswith(heal.strip()) and heal.strip()
    ids, heal = b.build(after_indent)
    assert heal == ""
    assert ids[-1] == encode_plain(tokenizer, after_indent.prefix)[-1]


def test_the_proxy_probes_are_the_engines() -> None:
    """``humaneval._TYPED_ON`` restates ``engine/healing._PROBES`` (the GPU job's code copy has
    no engine): the proxy's healing rule must not drift from the product's."""
    from qwen_lsp.engine import healing
    from qwen_lsp.training import humaneval

    assert humaneval._TYPED_ON == healing._PROBES
