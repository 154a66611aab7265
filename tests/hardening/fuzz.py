"""A JSON-RPC fuzzer for ``python -m qwen_lsp serve`` over a real pipe.

It writes malformed and hostile messages, each with what the server owes for it, and checks
the debts afterwards:

- every request with a valid id in a message the server can read is answered **exactly
  once** (``must``), whatever the answer;
- a request whose own framing or JSON is broken is answered **at most once** (``may``): the
  server answers it with its id when the id can still be read, else with ``id: null``;
- notifications are never answered; the ``id: null`` errors stay within the range the cases
  allow;
- the process never dies, never prints a traceback, never answers ``InternalError``, writes
  only well-framed JSON, and still answers normal requests at the end (then ``shutdown``:
  requests after it get ``InvalidRequest``; ``exit`` ends it with code 0).

Classes (see :data:`WEIGHTS`): bad JSON, JSON that is not an object, broken envelopes
(``jsonrpc``, ``id``, ``method`` of the wrong type), unknown methods, wrong param shapes for
every method and command the server registers, absurd positions, notifications with bad
params, cancel storms over requests in flight, lying/missing/bad ``Content-Length``, header
garbage, bodies over ``maxMessageBytes``, deep nesting, split writes, stalled bodies, and
requests before ``initialize``.

Run more of it: ``python -m tests.hardening.fuzz --messages 100000 --seed 7``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import string
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lsp_pipe import FIXTURE_MODEL, REPO, PipeServer, frame, key

SEED = 20261125
MAX_MESSAGE_BYTES = 256 * 1024
# The server's body-stall limit in this run (the product's default is 5 s). At 0.25 s a CPU-
# starved machine lost a split-written request: the gap between its pieces passed the limit,
# and the stall's ParseError could not carry an id the server had not read yet. 2 s passes
# with both cores busy.
STALL_SECONDS = 2.0
INTERNAL_ERROR = -32603

# Relative weights of the classes in the main phase.
WEIGHTS: dict[str, int] = {
    "bad_json": 8,
    "not_object": 3,
    "bad_envelope": 8,
    "unknown_method": 5,
    "wrong_params": 30,
    "absurd_position": 10,
    "bad_notification": 14,
    "cancel_storm": 4,
    "valid_request": 6,
    "lying_length": 4,
    "missing_length": 2,
    "bad_length": 2,
    "header_garbage": 2,
    "oversize": 1,
    "deep_nesting": 1,
    "split_write": 1,
    "duplicate_id": 1,
}
STALL_EVERY = 1000  # one stalled body per this many cases (each costs STALL_SECONDS)

DOC_TEXT = (
    '"""A module the fuzzer edits."""\n\nimport os\n\n\ndef area(width, height):\n'
    "    return width * height\n\n\nclass Shape:\n    def __init__(self, name):\n"
    "        self.name = name\n\n    def describe(self):\n        return f'{self.name}'\n"
)
COMMANDS = {
    "qwen.acceptSuggestion": lambda f: [f.rng.choice(["model", "cache", "typing"])],
    "qwen.clearLog": lambda f: [],
    "qwen.convertSelection": lambda f: [
        f.uri(),
        1,
        0,
        f.rng.randint(0, 40),
        f.rng.choice(["javascript", "python", "cobol"]),
    ],
    "qwen.debugDocument": lambda f: [f.uri()],
    "qwen.explainLog": lambda f: [
        f.rng.choice(
            [
                'Traceback (most recent call last):\n  File "/tmp/x.py", line 1, in <module>\n'
                "NameError: name 'y' is not defined\n",
                {"text": "ZeroDivisionError: division by zero"},
                {"path": "shop/pricing.py"},
                {"uri": f.uri()},
            ]
        )
    ],
    "qwen.explainRule": lambda f: [f.rng.choice(["QL101", "QL201", "nope", ""])],
    "qwen.fixWithModel": lambda f: [f.uri(), 1, 0, f.rng.randint(0, 40), "QL101"],
    "qwen.frameworks": lambda f: [],
    # Only names that do not exist: generating tests for a real one runs them (minutes).
    "qwen.generateTests": lambda f: [{"uri": f.uri(), "name": "no_such_function"}],
    "qwen.modelInfo": lambda f: [],
}


@dataclass
class Case:
    """Bytes to write and what the server owes for them."""

    cls: str
    data: bytes
    messages: int = 1
    must: Counter[Any] = field(default_factory=Counter)
    may: set[Any] = field(default_factory=set)
    nulls: tuple[int, int] = (0, 0)
    pause: float = 0.0
    chunks: list[bytes] | None = None
    methods: dict[Any, str] = field(default_factory=dict)  # id -> method, for reports


@dataclass
class Report:
    """What a run sent, received and found."""

    seed: int
    messages: int = 0
    by_class: Counter[str] = field(default_factory=Counter)
    requests_with_ids: int = 0
    responses: int = 0
    null_responses: int = 0
    null_range: tuple[int, int] = (0, 0)
    error_codes: Counter[int] = field(default_factory=Counter)
    notifications: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    crashes: int = 0
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)
    methods_without_template: list[str] = field(default_factory=list)
    answer_p99_s: float = 0.0
    slowest_answer_s: float = 0.0
    slowest_request: str = ""

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data."""
        return {
            "seed": self.seed,
            "messages": self.messages,
            "by_class": dict(sorted(self.by_class.items())),
            "requests_with_ids": self.requests_with_ids,
            "responses": self.responses,
            "null_id_responses": self.null_responses,
            "null_id_allowed": list(self.null_range),
            "error_codes": {str(k): v for k, v in sorted(self.error_codes.items())},
            "notifications_received": dict(sorted(self.notifications.items())),
            "crashes": self.crashes,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "answer_p99_s": self.answer_p99_s,
            "slowest_answer_s": self.slowest_answer_s,
            "slowest_request": self.slowest_request,
            "problems": [p[:1000] for p in self.problems[:50]],
            "methods_without_template": self.methods_without_template,
        }


def registered_methods() -> tuple[set[str], set[str], set[str]]:
    """(requests, notifications, commands) a fresh session registers."""
    from lsprotocol.types import METHOD_TO_TYPES

    from qwen_lsp.features import register_all
    from qwen_lsp.server import QwenLanguageServer

    server = QwenLanguageServer(core=None)  # type: ignore[arg-type]
    register_all(server)
    fm = server.protocol.fm
    methods = set(fm.features) | set(fm.builtin_features)
    requests = {m for m in methods if m in METHOD_TO_TYPES and METHOD_TO_TYPES[m][1] is not None}
    notifications = (methods - requests) | {"$/cancelRequest"}
    return requests, notifications, set(fm.commands)


class Fuzzer:
    """Generates cases with a fixed seed."""

    def __init__(self, seed: int, workspace: Path, docs: list[str]) -> None:
        self.rng = random.Random(seed)
        self.workspace = workspace
        self.docs = docs
        self._ids = itertools.count(1)
        self.recent: list[Any] = []  # ids of recent requests, for cancel storms
        self._used_weird: set[Any] = set()
        self.requests, self.notifications, self.commands = registered_methods()
        # Never sent at random: they end the session (tested at the end).
        self.requests -= {"shutdown"}
        self.notifications -= {"exit"}
        self.uris = [
            *docs,
            "file:///nonexistent/dir/missing.py",
            "untitled:Untitled-1",
            (workspace / "shop" / "pricing.py").as_uri(),
            (workspace / "shop" / "not_there.py").as_uri(),
            "file:///etc/passwd",
            "file://../../etc/passwd",
            "http://example.invalid/x.py",
            "",
            "file:///tmp/%00nul.py",
            "file:///" + "a" * 3000 + ".py",
            "not a uri",
            "file:///tmp/qwen-fuzz-\ud800.py",
        ]

    # -- values ----------------------------------------------------------------------------

    def fresh_id(self) -> Any:
        """A new request id: mostly integers, some strings."""
        n = next(self._ids)
        return n if self.rng.random() < 0.8 else f"f-{n}"

    def uri(self) -> str:
        """A document URI: usually an open document."""
        if self.rng.random() < 0.7:
            return self.rng.choice(self.docs)
        return self.rng.choice(self.uris)

    def position(self, absurd: bool = False) -> dict[str, Any]:
        """A position; ``absurd``: far outside any document, or of the wrong kind."""
        if not absurd:
            return {"line": self.rng.randint(0, 20), "character": self.rng.randint(0, 30)}
        pick = self.rng.choice(
            [-1, -(2**31), 2**31 - 1, 2**31, 2**32, 2**53, 2**63, 10**30, 1.5, 1e308, 0]
        )
        other = self.rng.choice([0, 5, 2**31 - 1, -5, 10**18])
        return (
            {"line": pick, "character": other}
            if self.rng.random() < 0.5
            else {"line": other, "character": pick}
        )

    def range(self, absurd: bool = False) -> dict[str, Any]:
        """A range (possibly reversed)."""
        return {"start": self.position(absurd), "end": self.position(absurd)}

    def hostile(self, depth: int = 0) -> Any:
        """A value of a surprising type or size."""
        r = self.rng
        choice = r.randrange(22)
        if choice == 0:
            return None
        if choice == 1:
            return r.choice([True, False])
        if choice == 2:
            return r.choice([-1, 0, 2**31 - 1, 2**31, 2**63, -(2**63), 10**30])
        if choice == 3:
            return r.choice([1.5, -0.0, 1e308, 5e-324])
        if choice == 4:
            return ""
        if choice == 5:
            return "x" * r.choice([1, 100, 5000])
        if choice == 6:
            return r.choice(["\u0000", "\ud800", "😀" * 10, "\r\n\r\n", "Content-Length: 5"])
        if choice == 7:
            return r.choice(["../../etc/passwd", "/etc/shadow", "~/.ssh/id_rsa", "C:\\x"])
        if choice == 8:
            return []
        if choice == 9:
            return {}
        if choice == 10:
            nested: Any = 1
            for _ in range(r.choice([10, 60, 200])):
                nested = [nested]
            return nested
        if choice == 11:
            nested = 1
            for _ in range(r.choice([10, 60, 200])):
                nested = {"a": nested}
            return nested
        if choice == 12:
            return list(range(r.choice([10, 1000])))
        if choice == 13:
            return self.position(absurd=True)
        if choice == 14:
            return self.range(absurd=True)
        if choice == 15:
            return {"uri": self.rng.choice(self.uris)}
        if choice == 16 and depth < 2:
            return {self.word(): self.hostile(depth + 1) for _ in range(r.randint(1, 4))}
        if choice == 17 and depth < 2:
            return [self.hostile(depth + 1) for _ in range(r.randint(1, 4))]
        return self.word()

    def word(self) -> str:
        """A short random identifier-ish string."""
        return "".join(self.rng.choice(string.ascii_letters) for _ in range(self.rng.randint(1, 8)))

    # -- templates ----------------------------------------------------------------------------

    def template(self, method: str) -> Any:
        """Valid-looking params of ``method`` (None: no template for it)."""
        r = self.rng
        doc = {"uri": self.uri()}
        at = {"textDocument": doc, "position": self.position()}
        templates: dict[str, Any] = {
            "initialize": {"processId": None, "capabilities": {}},
            "initialized": {},
            "textDocument/codeAction": {
                "textDocument": doc,
                "range": self.range(),
                "context": {"diagnostics": [], "only": r.choice([None, ["quickfix"]])},
            },
            "textDocument/completion": at,
            "textDocument/definition": at,
            "textDocument/hover": at,
            "textDocument/inlineCompletion": {
                **at,
                "context": {"triggerKind": r.choice([1, 2])},
            },
            "textDocument/diagnostic": {"textDocument": doc},
            "textDocument/documentSymbol": {"textDocument": doc},
            "workspace/symbol": {"query": r.choice(["", "area", "Shape", self.word()])},
            "workspace/executeCommand": self.command(),
            "textDocument/didOpen": {
                "textDocument": {
                    "uri": r.choice(
                        [*self.uris[len(self.docs) :], f"file:///tmp/fz{r.random()}.py"]
                    ),
                    "languageId": r.choice(["python", "javascript", "rust", "nope", ""]),
                    "version": r.randint(0, 5),
                    "text": r.choice([DOC_TEXT, "", "def f(:\n", "\x00\x01", "x" * 2000]),
                }
            },
            "textDocument/didChange": {
                "textDocument": {"uri": self.uri(), "version": r.randint(0, 10_000)},
                "contentChanges": [
                    r.choice(
                        [
                            {"range": self.range(), "text": r.choice(["x", "\n", "(", "é😀"])},
                            {"text": DOC_TEXT},
                        ]
                    )
                    for _ in range(r.randint(1, 3))
                ],
            },
            "textDocument/didClose": {"textDocument": {"uri": r.choice(self.uris)}},
            "textDocument/didSave": {"textDocument": doc},
            "workspace/didChangeConfiguration": {
                "settings": r.choice(
                    [
                        {},
                        None,
                        {"qwenLsp": {"completion": {"maxTokens": r.choice([4, "many", -1])}}},
                        {"qwenLsp": {"diagnostics": {"disabled": ["QL101"]}}},
                        {"qwenLsp": 5},
                    ]
                )
            },
            "workspace/didChangeWatchedFiles": {
                "changes": [{"uri": r.choice(self.uris), "type": r.choice([1, 2, 3])}]
            },
            "workspace/didChangeWorkspaceFolders": {
                "event": {
                    "added": r.choice(
                        [[], [{"uri": "file:///nonexistent/ws", "name": "x"}]],
                    ),
                    "removed": [],
                }
            },
            "$/setTrace": {"value": r.choice(["off", "messages", "verbose"])},
            "$/cancelRequest": {"id": self.cancel_target()},
            "window/workDoneProgress/cancel": {"token": r.choice(["x", 5])},
            "notebookDocument/didOpen": {
                "notebookDocument": {
                    "uri": "file:///tmp/nb.ipynb",
                    "notebookType": "jupyter-notebook",
                    "version": 1,
                    "cells": [{"kind": 2, "document": "file:///tmp/nb.ipynb#c1"}],
                },
                "cellTextDocuments": [
                    {
                        "uri": "file:///tmp/nb.ipynb#c1",
                        "languageId": "python",
                        "version": 1,
                        "text": "x = 1\n",
                    }
                ],
            },
            "notebookDocument/didChange": {
                "notebookDocument": {"uri": "file:///tmp/nb.ipynb", "version": 2},
                "change": {},
            },
            "notebookDocument/didClose": {
                "notebookDocument": {"uri": "file:///tmp/nb.ipynb"},
                "cellTextDocuments": [{"uri": "file:///tmp/nb.ipynb#c1"}],
            },
        }
        return templates.get(method)

    def command(self) -> dict[str, Any]:
        """executeCommand params for a registered command (or an unknown one)."""
        name = self.rng.choice([*sorted(self.commands), "qwen.noSuchCommand"])
        make = COMMANDS.get(name)
        return {"command": name, "arguments": make(self) if make else []}

    def cancel_target(self) -> Any:
        """An id to cancel: recent, unknown, or not an id at all."""
        r = self.rng
        if self.recent and r.random() < 0.6:
            return r.choice(self.recent[-50:])
        return r.choice([10**9, -1, "nope", None, 1.5, [], {}, 2**63])

    def mutate(self, params: Any) -> Any:
        """Break ``params`` in one or two places."""
        params = json.loads(json.dumps(params))  # a private copy
        for _ in range(self.rng.choice([1, 1, 2])):
            params = self._mutate_once(params)
        return params

    def _mutate_once(self, params: Any) -> Any:
        r = self.rng
        paths = list(_paths(params))
        op = r.randrange(6)
        if op == 0 or not paths:
            return self.hostile()
        path = r.choice(paths)
        parent = _get(params, path[:-1])
        last = path[-1]
        if not isinstance(parent, (dict, list)):
            return params
        if op == 1:
            parent[last] = self.hostile()
        elif op == 2 and isinstance(parent, dict):
            del parent[last]
        elif op == 3 and isinstance(parent, dict):
            parent[self.word()] = self.hostile()
        elif op == 4:
            for p in paths:
                target = _get(params, p)
                if isinstance(target, dict) and "line" in target:
                    target.update(self.position(absurd=True))
        else:
            for p in paths:
                parent = _get(params, p[:-1])
                if p[-1] == "uri" and isinstance(parent, dict):
                    parent["uri"] = r.choice([*self.uris, 5, None, ["x"]])
        return params

    # -- cases --------------------------------------------------------------------------------

    def request_case(self, cls: str, method: str, params: Any, with_params: bool = True) -> Case:
        """One well-framed request: answered exactly once."""
        msg_id = self.fresh_id()
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if with_params:
            msg["params"] = params
        self.recent.append(msg_id)
        method_name = method if isinstance(method, str) else repr(method)
        if method == "workspace/executeCommand" and isinstance(params, dict):
            method_name += f" {params.get('command')!r}"
        return Case(
            cls,
            frame(_dumps(msg)),
            must=Counter({key(msg_id): 1}),
            methods={key(msg_id): method_name},
        )

    def notification_case(self, cls: str, method: str, params: Any) -> Case:
        """One well-framed notification: never answered."""
        msg = {"jsonrpc": "2.0", "method": method, "params": params}
        return Case(cls, frame(_dumps(msg)))

    def make(self, cls: str, before_init: bool = False) -> Case:
        """A case of class ``cls``."""
        return getattr(self, f"case_{cls}")(before_init)

    def case_bad_json(self, before_init: bool) -> Case:
        r = self.rng
        msg_id = self.fresh_id()
        valid = _dumps(
            {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": {}}
        )
        kind = r.randrange(6)
        if kind == 0:
            body = bytes(r.randrange(256) for _ in range(r.randint(1, 300)))
            return Case("bad_json", frame(body), may={key(msg_id)}, nulls=(0, 1))
        if kind == 1:
            body = valid[: r.randint(1, len(valid) - 1)]
        elif kind == 2:
            body = valid.replace(b"{", b"[", 1)
        elif kind == 3:
            body = valid[:-1] + b",}"
        elif kind == 4:
            body = b'{"jsonrpc":"2.0","id":' + _dumps(msg_id) + b',"method":"x","params":NaN}'
        else:
            body = valid.replace(b'"2.0"', b'"2.0\xff\xfe"')
        return Case("bad_json", frame(body), may={key(msg_id)}, nulls=(0, 1))

    def case_not_object(self, before_init: bool) -> Case:
        body = self.rng.choice(
            [b"[]", b"5", b'"text"', b"null", b"true", b"[" + _dumps({"jsonrpc": "2.0"}) + b"]"]
        )
        return Case("not_object", frame(body), nulls=(1, 1))

    def case_bad_envelope(self, before_init: bool) -> Case:
        r = self.rng
        msg_id = self.fresh_id()
        method = r.choice(["textDocument/hover", "workspace/symbol", "x/y"])
        kind = r.randrange(8)
        if kind == 0:  # no "jsonrpc": answered InvalidRequest with the id
            msg = {"id": msg_id, "method": method, "params": {}}
            return Case("bad_envelope", frame(_dumps(msg)), must=Counter({key(msg_id): 1}))
        if kind == 1:
            msg = {"jsonrpc": r.choice(["1.0", 2, None, ""]), "id": msg_id, "method": method}
            return Case("bad_envelope", frame(_dumps(msg)), must=Counter({key(msg_id): 1}))
        if kind == 2:  # method of the wrong type, with an id
            msg = {"jsonrpc": "2.0", "id": msg_id, "method": r.choice([5, None, [], {}])}
            if msg["method"] is None:
                # id + method null + no result: neither request nor response: not answered
                return Case("bad_envelope", frame(_dumps(msg)), may={key(msg_id)})
            return Case("bad_envelope", frame(_dumps(msg)), must=Counter({key(msg_id): 1}))
        if kind == 3:  # id of the wrong type: answered with id null
            bad = r.choice([1.5, True, None, [], {}, {"id": 1}])
            msg = {"jsonrpc": "2.0", "id": bad, "method": method, "params": {}}
            return Case("bad_envelope", frame(_dumps(msg)), nulls=(1, 1))
        if kind == 4:  # no jsonrpc, no id: a broken notification, dropped
            return Case("bad_envelope", frame(_dumps({"method": method, "params": {}})))
        if kind == 5:  # unusual but valid ids
            weird = r.choice([0, -1, 2**63, 10**30, "", "é😀", "x" * 5000, "null"])
            msg = {"jsonrpc": "2.0", "id": weird, "method": "workspace/symbol"}
            msg["params"] = {"query": "x"}
            # Each weird id is used once per run at most (they are not fresh).
            if key(weird) in self._used_weird:
                return self.request_case("bad_envelope", "workspace/symbol", {"query": "a"})
            self._used_weird.add(key(weird))
            return Case("bad_envelope", frame(_dumps(msg)), must=Counter({key(weird): 1}))
        if kind == 6:  # a response from the client to a request never made: not answered
            msg = {"jsonrpc": "2.0", "id": msg_id, r.choice(["result", "error"]): None}
            return Case("bad_envelope", frame(_dumps(msg)))
        # extra members are ignored
        msg = {"jsonrpc": "2.0", "id": msg_id, "method": "workspace/symbol"}
        msg.update({"params": {"query": "x"}, "extra": self.hostile()})
        return Case("bad_envelope", frame(_dumps(msg)), must=Counter({key(msg_id): 1}))

    def case_unknown_method(self, before_init: bool) -> Case:
        method = self.rng.choice(
            ["$/unknown", "textDocument/nope", "qwen/x", "", "initialize/", "a" * 300]
        )
        if self.rng.random() < 0.6:
            return self.request_case("unknown_method", method, self.hostile())
        return self.notification_case("unknown_method", method, self.hostile())

    def case_wrong_params(self, before_init: bool) -> Case:
        method = self.rng.choice(sorted(self.requests))
        base = self.template(method)
        if method == "initialize":
            # Only shapes that cannot initialize (a second initialize would change the session).
            params = self.rng.choice([None, 5, [], {"capabilities": 5}, {"processId": "x"}])
            return self.request_case("wrong_params", method, params)
        params = self.mutate(base if base is not None else {})
        return self.request_case("wrong_params", method, params)

    def case_valid_request(self, before_init: bool) -> Case:
        method = self.rng.choice(sorted(self.requests - {"initialize"}))
        return self.request_case("valid_request", method, self.template(method))

    def case_absurd_position(self, before_init: bool) -> Case:
        method = self.rng.choice(
            [
                "textDocument/hover",
                "textDocument/definition",
                "textDocument/completion",
                "textDocument/inlineCompletion",
                "textDocument/codeAction",
            ]
        )
        params = self.template(method)
        if "position" in params:
            params["position"] = self.position(absurd=True)
        else:
            params["range"] = self.range(absurd=True)
        return self.request_case("absurd_position", method, params)

    def case_bad_notification(self, before_init: bool) -> Case:
        method = self.rng.choice(sorted(self.notifications))
        base = self.template(method)
        params = base if base is not None and self.rng.random() < 0.3 else self.mutate(base or {})
        return self.notification_case("bad_notification", method, params)

    def case_cancel_storm(self, before_init: bool) -> Case:
        r = self.rng
        data = b""
        must: Counter[Any] = Counter()
        methods: dict[Any, str] = {}
        messages = 0
        slow = []
        for _ in range(r.randint(2, 6)):
            method = r.choice(["textDocument/inlineCompletion", "textDocument/diagnostic"])
            case = self.request_case("cancel_storm", method, self.template(method))
            data += case.data
            must.update(case.must)
            methods.update(case.methods)
            slow.append(self.recent[-1])
            messages += 1
        for _ in range(r.randint(5, 20)):
            target = r.choice(slow) if r.random() < 0.6 else self.cancel_target()
            data += frame(
                _dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": target}})
            )
            messages += 1
        return Case("cancel_storm", data, messages=messages, must=must, methods=methods)

    def case_lying_length(self, before_init: bool) -> Case:
        r = self.rng
        a = self.request_case("lying_length", "workspace/symbol", {"query": "area"})
        b = self.request_case(
            "lying_length", "textDocument/documentSymbol", {"textDocument": {"uri": self.docs[0]}}
        )
        body_a = _body(a.data)
        if r.random() < 0.5:
            # Larger than the message, the next message right behind: both answered.
            data = frame(body_a, len(body_a) + r.randint(1, 20)) + b.data
            return Case("lying_length", data, messages=2, must=a.must + b.must)
        # Smaller: the first is unreadable (answered at most once), the second answered.
        data = frame(body_a, r.randint(1, len(body_a) - 1)) + b.data
        return Case("lying_length", data, messages=2, must=b.must, may=set(a.must), nulls=(0, 1))

    def case_stalled_body(self, before_init: bool) -> Case:
        r = self.rng
        a = self.request_case("stalled_body", "workspace/symbol", {"query": "area"})
        body_a = _body(a.data)
        if r.random() < 0.5:
            # Complete message, Content-Length too large, nothing after: handled after a stall.
            data = frame(body_a, len(body_a) + r.randint(1, 50))
            return Case("stalled_body", data, must=a.must, pause=STALL_SECONDS * 2)
        # Truncated body and nothing after: ParseError (with the id when it can be read).
        cut = body_a[: r.randint(1, len(body_a) - 1)]
        return Case(
            "stalled_body",
            frame(cut, len(body_a)),
            may=set(a.must),
            nulls=(0, 1),
            pause=STALL_SECONDS * 2,
        )

    def case_missing_length(self, before_init: bool) -> Case:
        a = self.request_case("missing_length", "workspace/symbol", {"query": "x"})
        b = self.request_case("missing_length", "workspace/symbol", {"query": "y"})
        data = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + _body(a.data)
        return Case(
            "missing_length", data + b.data, messages=2, must=b.must, nulls=(1, 1), may=set(a.must)
        )

    def case_bad_length(self, before_init: bool) -> Case:
        a = self.request_case("bad_length", "workspace/symbol", {"query": "x"})
        b = self.request_case("bad_length", "workspace/symbol", {"query": "y"})
        value = self.rng.choice([b"abc", b"-5", b"1e3", b"", b"0x10", b"9" * 25, b"5 5"])
        data = b"Content-Length: " + value + b"\r\n\r\n" + _body(a.data) + b.data
        return Case("bad_length", data, messages=2, must=b.must, nulls=(1, 1), may=set(a.must))

    def case_header_garbage(self, before_init: bool) -> Case:
        r = self.rng
        b = self.request_case("header_garbage", "workspace/symbol", {"query": "y"})
        kind = r.randrange(5)
        if kind == 0:  # noise between messages: skipped, not answered
            return Case("header_garbage", b"hello there\r\n" + b.data, must=b.must)
        if kind == 1:  # stray blank lines between messages
            return Case("header_garbage", b"\r\n\r\n" + b.data, must=b.must)
        if kind == 2:  # too many header lines
            data = b"".join(b"X-H%d: v\r\n" % i for i in range(40)) + b"\r\n{}"
            return Case("header_garbage", data + b.data, must=b.must, nulls=(1, 1))
        if kind == 3:  # a header line over the limit, then a good message
            data = b"X-Long: " + b"a" * 10_000 + b"\r\n"
            return Case("header_garbage", data + b.data, must=b.must, nulls=(1, 1))
        # a header without a colon after a good one
        data = b"Content-Length: 2\r\nbroken header\r\n\r\n{}"
        return Case("header_garbage", data + b.data, must=b.must, nulls=(1, 1))

    def case_oversize(self, before_init: bool) -> Case:
        r = self.rng
        size = r.choice([MAX_MESSAGE_BYTES + 1, 2 * MAX_MESSAGE_BYTES, 3_000_000])
        if r.random() < 0.6:
            msg_id = self.fresh_id()
            body = (
                b'{"jsonrpc":"2.0","id":'
                + _dumps(msg_id)
                + b',"method":"workspace/symbol","params":{"query":"'
                + b"q" * size
                + b'"}}'
            )
            return Case("oversize", frame(body), must=Counter({key(msg_id): 1}))
        uri = "file:///tmp/qwen-fuzz-oversize.py"
        body = _dumps(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": uri,
                        "languageId": "python",
                        "version": 1,
                        "text": "#" * size,
                    }
                },
            }
        )
        return Case("oversize", frame(body))

    def case_deep_nesting(self, before_init: bool) -> Case:
        msg_id = self.fresh_id()
        depth = self.rng.choice([500, 5_000, 50_000])
        body = (
            b'{"jsonrpc":"2.0","id":'
            + _dumps(msg_id)
            + b',"method":"workspace/executeCommand","params":{"command":"qwen.modelInfo",'
            + b'"arguments":'
            + b"[" * depth
            + b"]" * depth
            + b"}}"
        )
        return Case("deep_nesting", frame(body), must=Counter({key(msg_id): 1}))

    def case_split_write(self, before_init: bool) -> Case:
        case = self.request_case("split_write", "workspace/symbol", {"query": "area"})
        cuts = sorted(self.rng.sample(range(1, len(case.data)), 3))
        case.chunks = [
            case.data[i:j] for i, j in zip([0, *cuts], [*cuts, len(case.data)], strict=True)
        ]
        return case

    def case_duplicate_id(self, before_init: bool) -> Case:
        msg_id = self.fresh_id()
        msg = {
            "jsonrpc": "2.0",
            "id": msg_id,
            "method": "workspace/symbol",
            "params": {"query": "a"},
        }
        return Case(
            "duplicate_id", frame(_dumps(msg)) * 2, messages=2, must=Counter({key(msg_id): 2})
        )


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8", "surrogatepass")


def _body(framed: bytes) -> bytes:
    return framed.split(b"\r\n\r\n", 1)[1]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:20]):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path``, or None where an earlier mutation changed the way there."""
    for part in path:
        try:
            value = value[part]
        except (TypeError, KeyError, IndexError):
            return None
    return value


def fuzz_options() -> dict[str, Any]:
    """The session's settings: a small message limit (cheap oversize cases) and the tiny
    fixture model (fast completions)."""
    return {
        "maxMessageBytes": MAX_MESSAGE_BYTES,
        "models": {"byLanguage": {"python": str(FIXTURE_MODEL)}},
        "completion": {
            "maxTokens": 6,
            "minChars": 0,
            "crossFile": False,
            "syntaxCheck": False,
            "nameCheck": False,
        },
        "diagnostics": {"debounceMs": 0},
        "index": {"workers": 1},
    }


def run(
    messages: int = 10_000, seed: int = SEED, pre_init: int = 300, stderr: Path | None = None
) -> Report:
    """Fuzz one server with about ``messages`` messages; return the report (``stderr``: a
    file to keep the server's stderr in)."""
    report = Report(seed)
    tmp = Path(tempfile.mkdtemp(prefix="qwen-fuzz-"))
    workspace = tmp / "shop"
    shutil.copytree(REPO / "examples" / "shop", workspace)
    docs = [(workspace / "shop" / f"fuzz_{i}.py").as_uri() for i in range(3)]
    fuzzer = Fuzzer(seed, workspace, docs)
    must: Counter[Any] = Counter()
    may: set[Any] = set()
    origin: dict[Any, str] = {}  # id -> the class that sent it, for the problem lines
    sent: dict[Any, bytes] = {}  # id -> the start of the bytes that carried it
    sent_at: dict[Any, float] = {}
    null_min = null_max = 0
    started = time.perf_counter()
    server = PipeServer(env={"QWEN_LSP_BODY_STALL_SECONDS": str(STALL_SECONDS)})
    try:

        def send(case: Case) -> None:
            nonlocal null_min, null_max
            if server.proc.poll() is not None:
                raise RuntimeError(f"the server died (exit {server.proc.returncode})")
            if case.chunks:
                server.write_split(case.chunks, 0.002)
            else:
                server.write(case.data)
            if case.pause:
                time.sleep(case.pause)
            report.messages += case.messages
            report.by_class[case.cls] += case.messages
            report.requests_with_ids += sum(case.must.values()) + len(case.may)
            must.update(case.must)
            may.update(case.may)
            for k in [*case.must, *case.may]:
                origin[k] = f"{case.cls} {case.methods.get(k, '')}".strip()
                sent[k] = case.data[:600]
                sent_at[k] = time.perf_counter()
            null_min += case.nulls[0]
            null_max += case.nulls[1]

        pre_classes = [
            "bad_json",
            "not_object",
            "bad_envelope",
            "unknown_method",
            "wrong_params",
            "valid_request",
            "bad_notification",
            "lying_length",
        ]
        for _ in range(pre_init):
            case = fuzzer.make(fuzzer.rng.choice(pre_classes), before_init=True)
            case.cls = "before_initialize"
            send(case)
        # Every request so far is owed an answer before the session starts.
        server.wait(
            lambda: all(len(server.responses.get(k, [])) >= n for k, n in must.items()),
            60,
            "answers to the requests sent before initialize",
        )
        server.initialize(workspace, fuzz_options())
        report.messages += 2
        report.requests_with_ids += 1
        for uri in docs:
            server.open(uri, DOC_TEXT)
            report.messages += 1

        classes = list(WEIGHTS)
        weights = [WEIGHTS[c] for c in classes]
        n = 0
        while report.messages < messages:
            n += 1
            cls = fuzzer.rng.choices(classes, weights)[0]
            if n % STALL_EVERY == 0:
                cls = "stalled_body"
            send(fuzzer.make(cls))

        def settled() -> bool:
            return all(len(server.responses.get(k, [])) >= c for k, c in must.items())

        try:
            server.wait(settled, 120, "every request to be answered")
        except AssertionError as exc:
            missing = [k for k, c in must.items() if len(server.responses.get(k, [])) < c]
            report.problems.append(
                f"{len(missing)} requests never answered, e.g. {missing[:5]}: {exc}"
            )
        time.sleep(0.5)  # anything answered twice would show by now

        # Still serving normally.
        alive = (workspace / "shop" / "alive.py").as_uri()
        server.open(alive, "def alive():\n    return 1\n")
        symbols = server.call("textDocument/documentSymbol", {"textDocument": {"uri": alive}})
        if [s["name"] for s in symbols or []] != ["alive"]:
            report.problems.append(f"documentSymbol after the storm: {symbols!r}")
        found = server.call("workspace/symbol", {"query": "best_seller"})
        if not any(s["name"] == "best_seller" for s in found or []):
            report.problems.append(f"workspace/symbol after the storm: {found!r}")
        server.call(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": alive},
                "position": {"line": 1, "character": 4},
                "context": {"triggerKind": 1},
            },
        )
        report.messages += 4
        report.requests_with_ids += 3

        # After shutdown: requests get InvalidRequest, notifications nothing; exit ends it.
        server.call("shutdown")
        after = [server.request("workspace/symbol", {"query": "x"}) for _ in range(3)]
        server.notify("textDocument/didClose", {"textDocument": {"uri": alive}})
        for msg_id in after:
            error = server.response(msg_id).get("error") or {}
            if error.get("code") != -32600:
                report.problems.append(f"request after shutdown answered {error!r}")
        server.notify("exit")
        report.exit_code = server.proc.wait(30)
        report.messages += 6
        report.requests_with_ids += 4
    except Exception as exc:  # a dead server or a hang: reported, not raised
        where = traceback.extract_tb(exc.__traceback__)[-1]
        report.problems.append(f"{type(exc).__name__}: {exc} (fuzz.py:{where.lineno})")
    finally:
        report.seconds = time.perf_counter() - started
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if stderr is not None:
            stderr.write_text("\n".join(server.stderr_lines) + "\n")

    # -- accounting --------------------------------------------------------------------------
    if report.exit_code != 0:
        report.crashes = 1
        report.problems.append(f"exit code {report.exit_code}")
    for k, expected in must.items():
        got = len(server.responses.get(k, []))
        if got != expected:
            report.problems.append(
                f"request {k} ({origin.get(k)}) answered {got} times, expected {expected}: "
                f"{sent.get(k)!r}"
            )
    for k in may:
        if len(server.responses.get(k, [])) > 1:
            report.problems.append(
                f"request {k} ({origin.get(k)}) answered {len(server.responses[k])} times"
            )
    known = set(must) | may
    own = {key(i) for i in range(10_000_001, 10_000_001 + 1000)}
    for k, answers in server.responses.items():
        if k not in known and k not in own:
            report.problems.append(f"an answer to {k}, which was never asked")
        for answer in answers:
            report.responses += 1
            if "error" in answer:
                report.error_codes[answer["error"].get("code")] += 1
                if answer["error"].get("code") == INTERNAL_ERROR:
                    data = answer["error"].get("data")
                    where = data.get("traceback", [])[-3:] if isinstance(data, dict) else []
                    report.problems.append(
                        f"InternalError for {origin.get(k)}: {answer['error'].get('message')} "
                        f"at {' '.join(line.strip() for line in where)}"
                    )
    waits = sorted((server.arrivals[k] - t, k) for k, t in sent_at.items() if k in server.arrivals)
    if waits:
        report.slowest_answer_s = round(waits[-1][0], 3)
        report.slowest_request = f"{origin.get(waits[-1][1])}: {sent.get(waits[-1][1])!r}"[:300]
        report.answer_p99_s = round(waits[int(len(waits) * 0.99)][0], 3)
    report.null_responses = len(server.null_responses)
    report.responses += report.null_responses
    for answer in server.null_responses:
        report.error_codes[(answer.get("error") or {}).get("code")] += 1
    report.null_range = (null_min, null_max)
    if not null_min <= report.null_responses <= null_max:
        report.problems.append(
            f"{report.null_responses} answers with id null, expected {null_min}..{null_max}"
        )
    for _, note in server.notifications:
        report.notifications[note["method"]] += 1
    report.problems.extend(f"server output: {e}" for e in server.output_errors)
    report.problems.extend(f"stderr: {line}" for line in server.tracebacks())
    report.methods_without_template = sorted(
        m
        for m in fuzzer.requests | fuzzer.notifications
        if fuzzer.template(m) is None and m != "initialize"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: run the fuzzer and print its JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--stderr", type=Path, help="keep the server's stderr in this file")
    args = parser.parse_args(argv)
    report = run(args.messages, args.seed, stderr=args.stderr)
    print(json.dumps(report.to_json(), indent=2))
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
