"""Cancellation benchmark; prints JSON.

Completions from the embedded ``python`` module are cancelled over a real pipe while the model
decodes (``$/cancelRequest`` 150-500 ms after the request, inside a decode of seconds); reported:
the time from sending the cancel to receiving the ``RequestCancelled`` answer, p50/p95/max (goal:
p95 within 100 ms), the error codes seen (all -32800), and the uncancelled run's prefill and
decode times for comparison. Shares its procedure with ``tests/hardening/test_cancellation.py``.

Usage: ``python bench/cancellation.py [--cancels 100] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hardening.cancel import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cancels", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qwen-lsp-cancel-") as root:
        report, _srv = measure(Path(root), args.cancels, args.seed)
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **report.to_json(),
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
