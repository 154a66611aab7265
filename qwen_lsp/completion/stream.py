"""Streaming a suggestion while it is decoded, without ever taking back a piece.

The generation loop reports the text so far after each token (``GenerationRequest.on_text``).
Post-processing and the syntax check then still shape the final suggestion, so a piece may only
be handed out once nothing that follows can change it:

- a **multi-line** suggestion is committed line by line: a line once the model has started the
  next one (the stop rules have then seen it) and once the lines so far add no syntax error,
  read no undefined name and do not begin by repeating the line below the cursor (the final
  checks keep the longest passing run of whole lines, so they keep at least these);
  when the cursor's line has text after it (closers), the last such line is held back as well,
  since the final suffix-overlap trim may shorten it;
- a **single-line** suggestion comes as one piece when its line is done: the syntax check of a
  single line is all or nothing, so no earlier part of it is certain.

:class:`StreamCommitter` decides; ``CompletionService.stream`` drives it, and ends with whatever
the final suggestion has beyond the committed text, so the pieces always add up to exactly what
``complete_sync`` returns for the same context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..syntax.languages import Language
from . import postprocess, syntax_check
from .name_check import NameCheck
from .plan import Plan


@dataclass
class StreamCommitter:
    """The part of a growing suggestion that is final (see the module docstring)."""

    plan: Plan
    before: str  # document text before the cursor
    after: str  # document text after the cursor
    language: Language | None
    syntax: bool = True  # the service's syntax check is on
    min_chars: int = 2
    committed: str = ""
    names: NameCheck | None = None  # the service's name check, when on
    _lines_seen: int = field(default=-1, repr=False)

    def update(self, partial: str) -> str:
        """Feed the text generated so far; returns the newly committed piece ('' if none)."""
        if not self.plan.multiline:
            return ""
        lines = partial.split("\n")
        complete = [line.rstrip() for line in lines[:-1]]  # the last line may still grow
        if len(complete) == self._lines_seen:
            return ""
        self._lines_seen = len(complete)
        while complete and not complete[-1].strip():
            complete.pop()  # trailing blank lines are dropped at the end
        if self.plan.rest_of_line.strip() and complete:
            complete.pop()  # the suffix-overlap trim may still shorten the last line
        candidate = self._passing("\n".join(complete))
        if len(candidate) <= len(self.committed) or not candidate.startswith(self.committed):
            return ""
        piece = candidate[len(self.committed) :]
        self.committed = candidate
        return piece

    def _passing(self, text: str) -> str:
        """The longest run of whole lines of ``text`` that post-processing and the checks keep
        as it is."""
        text = self._shaped(text)
        if text and self.names is not None:
            # Cut as the service's final name check cuts: before the first line reading an
            # undefined name, each shorter run shaped again.
            text = self.names.check(text, self._shaped) or ""
        return text

    def _shaped(self, text: str) -> str:
        """The longest run of whole lines of ``text`` that passes the syntax check and that
        post-processing keeps as it is."""
        if not text.strip():
            return ""
        if postprocess.finish(text, self.plan, self.min_chars) != text:
            return ""
        if self.plan.repeats_next_line(text):
            return ""  # the service rejects it whole (and may ask again): show none of it
        if self.syntax and self.language is not None:
            lines = (syntax_check.check(self.language, self.before, self.after, text) or "").split(
                "\n"
            )
            while lines and not lines[-1].strip():
                lines.pop()
            text = "\n".join(lines)
            if not text or postprocess.finish(text, self.plan, self.min_chars) != text:
                return ""
        return text
