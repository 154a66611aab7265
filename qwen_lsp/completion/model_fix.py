"""Fix with model: regenerate a flagged span fill-in-the-middle and keep the result only when
it makes the finding go away without adding a syntax error.

The span regenerated is the content of the flagged lines (from the first line's indentation to
the last line's end): the model writes whole lines better than a lone token. The same completion
service, prompt formats, post-processing and syntax check as ghost text do the work.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.engine import AnalysisOptions, analyze
from ..analysis.findings import Edit, Finding
from ..config import Settings, merge
from ..syntax.document import Document, Snapshot
from ..syntax.text import PositionEncoding
from .service import CompletionQuery, CompletionService


@dataclass(frozen=True)
class ModelFix:
    """A replacement for bytes ``[start, end)`` and what it was checked against."""

    edit: Edit
    original: str
    rule: str


def span_of(data: bytes, finding: Finding) -> tuple[int, int]:
    """Bytes to regenerate: the flagged lines, from the first one's indentation to the last
    one's end (without the line break)."""
    line_start = data.rfind(b"\n", 0, finding.start) + 1
    start = line_start
    while start < len(data) and data[start : start + 1] in (b" ", b"\t"):
        start += 1
    end = data.find(b"\n", max(finding.end, finding.start))
    end = len(data) if end < 0 else end
    if data[end - 1 : end] == b"\r":
        end -= 1
    return min(start, finding.start), end


def _fires(snapshot: Snapshot, rule: str, start: int, end: int, options: AnalysisOptions) -> bool:
    return any(
        f.rule == rule and f.start < end + 1 and f.end > start - 1
        for f in analyze(snapshot, options)
    )


def propose(
    service: CompletionService,
    snapshot: Snapshot,
    finding: Finding,
    settings: Settings,
    options: AnalysisOptions,
) -> ModelFix | None:
    """A model-written replacement for the finding's lines, or None when the model's text does
    not fix it (still fires, adds a syntax error, or is the same as before)."""
    if snapshot.language is None:
        return None
    data = snapshot.data
    start, end = span_of(data, finding)
    original = data[start:end].decode("utf-8", "replace")
    # The prompt sees the document without the flagged span: the model fills the hole.
    holed = data[:start] + data[end:]
    lines = original.count("\n") + 1
    fix_settings, _ = merge(
        settings,
        {
            "completion": {
                "multiline": "always" if lines > 1 else "never",
                "maxLines": lines + 1,
                "cacheSize": 0,
                "minChars": 1,
            }
        },
    )
    doc = Document(
        snapshot.uri + "#model-fix",
        holed.decode("utf-8", "replace"),
        0,
        snapshot.language,
        PositionEncoding.UTF8,
    )
    suggestion = service.complete_sync(
        CompletionQuery(doc.uri, doc.snapshot(), start, fix_settings)
    )
    if suggestion is None:
        return None
    text = suggestion.text
    if lines == 1:
        text = text.split("\n", 1)[0]
    if not text.strip() or text.strip() == original.strip():
        return None
    fixed = Document(
        snapshot.uri,
        (data[:start] + text.encode() + data[end:]).decode("utf-8", "replace"),
        0,
        snapshot.language,
    )
    new_end = start + len(text.encode())
    if _fires(fixed.snapshot(), finding.rule, start, new_end, options):
        return None
    before_errors = sum(1 for f in analyze(snapshot, AnalysisOptions()) if f.rule == "QL001")
    after_errors = sum(1 for f in analyze(fixed.snapshot(), AnalysisOptions()) if f.rule == "QL001")
    if after_errors > before_errors:
        return None
    return ModelFix(Edit(start, end, text), original, finding.rule)
