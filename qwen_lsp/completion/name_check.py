"""Name check of a candidate: splice it into the document, run the analysis' undefined-name
rule (Python: QL101) on the result, and truncate or reject the candidate where it reads a name
that nothing in scope binds (that line would raise ``NameError``: an invented helper, a
misspelt local, a module never imported).

No scope analysis of its own: the analysis layer's rule decides, so every case it leaves alone
(star imports, dynamic globals, names read inside ``try: ... except NameError``, code inside
syntax errors) is left alone here too. Languages whose analysis has no such rule are not
checked. A finding counts against the candidate only when it overlaps the inserted text (the
name the user is typing counts once the candidate extends it: token healing) and names
something that is not already undefined without the candidate (the file's own unresolved names
are the user's business, not the model's invention).

Cost: the spliced tree is an incremental re-parse of the snapshot's tree, and the analysis
reuses the shared per-chunk results (:mod:`qwen_lsp.analysis.cache`), so only the function
around the cursor is walked again; the module-level resolution still visits every top-level
statement, which is why files over :data:`MAX_BYTES` are not checked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..analysis.cache import ResultCache
from ..analysis.engine import AnalysisOptions, analyze
from ..analysis.rules import default_rules
from ..syntax.document import Snapshot

# The rule name (not the id) that marks a language's undefined-name rule: ids differ per
# language range, the name is the contract.
UNDEFINED_NAME = "undefined-name"

# Above this size the check is skipped: the analysis replays every top-level statement of the
# file and resolves the module again, about 4 ms per 100 KB on the 2-core machine (measured with
# a warm cache), and it runs on every ghost-text candidate (twice when a finding must be
# compared with the document without the candidate).
MAX_BYTES = 256 * 1024


@functools.cache
def undefined_name_rule(language_id: str) -> str | None:
    """The id of the analysis rule that reports undefined names in ``language_id``, or None
    when the language has none (the name check is then skipped). Cached: every completion
    request asks, and the registry is built once per process."""
    for rule in default_rules().for_language(language_id):
        if rule.name == UNDEFINED_NAME:
            return rule.id
    return None


class NameCheck:
    """The undefined-name check of candidates inserted at one cursor of one snapshot (one per
    completion request: the document without the candidate is analysed at most once, for
    every candidate and retry of the request)."""

    def __init__(
        self, snapshot: Snapshot, offset: int, rule_id: str, cache: ResultCache | None
    ) -> None:
        self.snapshot = snapshot
        self.offset = offset  # byte offset of the cursor
        self.rule_id = rule_id
        self.cache = cache
        self.options = AnalysisOptions(syntax=False, select=frozenset({rule_id}))
        self._parser = snapshot.language.parser() if snapshot.language else None
        self._undefined_before: frozenset[bytes] | None = None

    @classmethod
    def at(
        cls, snapshot: Snapshot, offset: int, cache: ResultCache | None = None
    ) -> NameCheck | None:
        """The check for candidates at byte ``offset``; None when the language has no
        undefined-name rule, the document has no tree, or it is over :data:`MAX_BYTES`."""
        language = snapshot.language
        if language is None or snapshot.tree is None or len(snapshot.data) > MAX_BYTES:
            return None
        rule_id = undefined_name_rule(language.id)
        if rule_id is None:
            return None
        return cls(snapshot, offset, rule_id, cache)

    def introduced(self, candidate: str) -> list[tuple[int, str]]:
        """The undefined names ``candidate`` introduces: (the candidate's line holding the
        name, the name), in document order."""
        inserted = candidate.encode("utf-8", "surrogatepass")
        if not inserted:
            return []
        spliced = self._spliced(inserted)
        start, end = self.offset, self.offset + len(inserted)
        data = spliced.data
        found: list[tuple[int, bytes]] = []
        for f in analyze(spliced, self.options, self.cache):
            # Overlapping, not inside: a name begun before the cursor and finished by the
            # candidate (token healing) is the candidate's name.
            if f.rule == self.rule_id and f.start < end and f.end > start:
                line = inserted[: max(0, f.start - start)].count(b"\n")
                found.append((line, data[f.start : f.end]))
        if not found:
            return []
        before = self._undefined_without_candidate()
        return [
            (line, name.decode("utf-8", "replace")) for line, name in found if name not in before
        ]

    def check(self, candidate: str, reshape: Callable[[str], str | None]) -> str | None:
        """``candidate`` when it introduces no undefined name; else its whole lines before the
        first line that does, passed through ``reshape`` (the caller's syntax check and
        post-processing) and checked again; None when nothing is left (the first line
        introduces one): the candidate is rejected."""
        text = candidate
        for _ in range(candidate.count("\n") + 1):
            names = self.introduced(text)
            if not names:
                return text
            first_line = names[0][0]
            if first_line == 0:
                return None
            shorter = reshape("\n".join(text.split("\n")[:first_line]))
            if not shorter or len(shorter) >= len(text):
                return None
            text = shorter
        return None

    def _spliced(self, inserted: bytes) -> Snapshot:
        """The snapshot with ``inserted`` at the cursor, its tree re-parsed incrementally
        from the snapshot's (a copy: the snapshot's own tree is shared and never edited)."""
        snap = self.snapshot
        assert snap.tree is not None and self._parser is not None
        at = self.offset
        buffer = snap.buffer.copy()
        start = buffer.point_of_offset(at)
        buffer.replace(at, at, inserted)
        new_end = buffer.point_of_offset(at + len(inserted))
        tree = snap.tree.copy()
        tree.edit(
            start_byte=at,
            old_end_byte=at,
            new_end_byte=at + len(inserted),
            start_point=(start.row, start.column),
            old_end_point=(start.row, start.column),
            new_end_point=(new_end.row, new_end.column),
        )
        tree = self._parser.parse(buffer.data, tree)
        return Snapshot(snap.uri, snap.version, snap.language, buffer, tree)

    def _undefined_without_candidate(self) -> frozenset[bytes]:
        """The names the rule reports in the document as it is (computed once)."""
        if self._undefined_before is None:
            data = self.snapshot.data
            self._undefined_before = frozenset(
                data[f.start : f.end]
                for f in analyze(self.snapshot, self.options, self.cache)
                if f.rule == self.rule_id
            )
        return self._undefined_before
