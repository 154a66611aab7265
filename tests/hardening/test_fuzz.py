"""The fuzzer's run over a real pipe: 10,000+ hostile messages, zero crashes, exactly one
answer per request, still serving afterwards (see :mod:`tests.hardening.fuzz`)."""

from __future__ import annotations

import json

from . import fuzz


def test_ten_thousand_hostile_messages_crash_nothing_and_every_request_is_answered_once():
    report = fuzz.run(messages=10_000)
    print(json.dumps(report.to_json(), indent=2))  # the figures, with pytest -s
    assert report.problems == []
    assert report.crashes == 0 and report.exit_code == 0
    assert report.messages >= 10_000
    # Every class ran, requests before initialize included.
    assert set(report.by_class) >= {*fuzz.WEIGHTS, "before_initialize", "stalled_body"}
    assert report.requests_with_ids > 4_000
    assert report.methods_without_template == []
    # Clear messages for the user: never a flood.
    assert report.notifications.get("window/showMessage", 0) < 100


def test_every_registered_method_and_command_is_fuzzed():
    requests, notifications, commands = fuzz.registered_methods()
    assert {"textDocument/hover", "workspace/executeCommand", "textDocument/didChange"} <= (
        requests | notifications
    )
    assert commands <= set(fuzz.COMMANDS), "a new command needs arguments in fuzz.COMMANDS"
