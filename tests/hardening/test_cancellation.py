"""A completion cancelled while the embedded model decodes is answered ``RequestCancelled``
(-32800), every time, over a real pipe; the model stops working on it too. The time from the
cancel to the answer is a figure for ``bench/cancellation.py``, not asserted here."""

from __future__ import annotations

import json
from pathlib import Path

from .cancel import REQUEST_CANCELLED, measure


def test_completions_cancelled_while_decoding_answer_request_cancelled(tmp_path: Path):
    report, srv = measure(tmp_path, cancels=12)
    print(json.dumps(report.to_json(), indent=2))  # the figures, with pytest -s
    # The uncancelled run decoded for seconds, and every cancel went out well inside such a
    # run, after its prompt was in: the model was decoding when each cancel arrived.
    run = report.full_run
    assert run["finish_reason"] == "length" and run["generated_tokens"] > 100
    assert run["timings_ms"]["prefill"] < min(report.delays_ms)
    assert max(report.delays_ms) < run["timings_ms"]["decode"] / 2
    assert report.codes == [REQUEST_CANCELLED] * 12
    # The scheduler gave up each job (one decode loop noticed the cancel, none ran on).
    assert report.scheduler["cancelled"] >= 12
    assert srv.tracebacks() == []
    assert srv.proc.returncode == 0
