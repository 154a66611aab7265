"""The audit log on real files: the chain holds across appends, threads, processes and
rotation, and `qwen-lsp audit verify` finds any edited, removed or reordered line."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qwen_lsp.security.audit import GENESIS, AuditLog, chain_files, sha256_hex, verify


def _fill(path: Path, n: int, **kwargs) -> AuditLog:
    log = AuditLog(path, **kwargs)
    for i in range(n):
        log.append({"event": "generation", "id": f"g{i}", "document": "file:///a.py"})
    return log


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_lsp", "audit", "verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_lines_chain_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _fill(path, 5)
    lines = path.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["prev"] == GENESIS
    for before, record in zip(lines, records[1:], strict=False):
        assert record["prev"] == sha256_hex(before)
    assert [r["seq"] for r in records] == [0, 1, 2, 3, 4]
    assert {"time", "v", "event", "id", "document"} <= set(records[0])
    report = verify(path)
    assert report.ok and report.lines == 5 and report.head == sha256_hex(lines[-1])
    done = _cli(str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "chain intact" in done.stdout


def _rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize("change", ["edit", "remove", "reorder", "insert", "reformat"])
def test_tampering_is_found(tmp_path: Path, change: str) -> None:
    path = tmp_path / "audit.jsonl"
    _fill(path, 6)
    lines = path.read_bytes().splitlines()
    if change == "edit":
        record = json.loads(lines[2])
        record["document"] = "file:///other.py"
        lines[2] = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    elif change == "remove":
        del lines[3]
    elif change == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif change == "insert":
        lines.insert(4, lines[4])
    else:
        lines[2] = json.dumps(json.loads(lines[2]), indent=1).replace("\n", "").encode()
    _rewrite(path, lines)
    report = verify(path)
    assert not report.ok, change
    done = _cli(str(path))
    assert done.returncode == 1
    assert "BROKEN" in done.stdout
    where = {"edit": ":4:", "remove": ":4:", "reorder": ":2:", "insert": ":6:", "reformat": ":3:"}
    assert any(where[change] in p for p in report.problems), report.problems


def test_rotation_keeps_the_chain_across_files(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _fill(path, 40, max_bytes=1500)
    files = chain_files(path)
    assert len(files) >= 3, files
    report = verify(path)
    assert report.ok, report.problems
    assert report.lines == 40 and report.first_seq == 0 and report.last_seq == 39
    # The first line of each newer file chains to the last line of the older one.
    for older, newer in itertools.pairwise(files):
        if newer.read_bytes():
            last = older.read_bytes().splitlines()[-1]
            assert json.loads(newer.read_bytes().splitlines()[0])["prev"] == sha256_hex(last)
    # Removing the last line of a rotated file breaks the chain at the next file.
    middle = files[1]
    _rewrite(middle, middle.read_bytes().splitlines()[:-1])
    assert not verify(path).ok


def test_keep_drops_old_files_and_verify_says_where_the_chain_starts(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _fill(path, 40, max_bytes=1500, keep=2)
    assert len(chain_files(path)) <= 3
    report = verify(path)
    assert report.ok, report.problems
    assert report.first_seq and report.first_seq > 0
    assert any("chain starts at seq" in n for n in report.notes)


def test_threads_append_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=4000)

    def work(k: int) -> None:
        for i in range(25):
            log.append({"event": "generation", "id": f"t{k}-{i}"})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify(path)
    assert report.ok, report.problems
    assert report.lines == 100


def _process_worker(path: str, k: int) -> None:
    log = AuditLog(path)
    for i in range(20):
        log.append({"event": "generation", "id": f"p{k}-{i}"})


def test_processes_append_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_worker, args=(str(path), k)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    report = verify(path)
    assert report.ok, report.problems
    assert report.lines == 60


def test_cut_last_line_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _fill(path, 3)
    path.write_bytes(path.read_bytes()[:-5])
    report = verify(path)
    assert any("incomplete" in p for p in report.problems)
    done = _cli(str(tmp_path / "nothing.jsonl"))
    assert done.returncode == 1 and "no such file" in done.stdout
