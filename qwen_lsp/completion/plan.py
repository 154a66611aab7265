"""Generation rules: single or multi-line, and when to stop.

Single-line when the cursor is mid-line or the syntax says so; multi-line at an empty line that
opens or continues a block (decided from the previous line and the tree-sitter node at the
cursor). Multi-line suggestions stop at the end of the block (a line indented less than the
block, or a closing bracket at the block's level), at a line that repeats the code after the
cursor, or after ``max_lines``. A suggestion whose *first* line repeats that code is not cut
but rejected (:func:`Plan.repeats_next_line`; the service then asks the model again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter as ts

_OPENERS = (":", "{", "(", "[", "=>", "->", " do", " then", "=", ",")
_CLOSERS = ")]}"
# Node kinds that hold a sequence of statements in most grammars (a convention, not one language).
_BLOCK_WORDS = (
    "block",
    "body",
    "suite",
    "compound_statement",
    "statement_block",
    "declaration_list",
    "class_body",
)


@dataclass(frozen=True)
class Plan:
    """How to generate at one cursor."""

    multiline: bool
    line_before: str  # the cursor's line up to the cursor
    rest_of_line: str  # text after the cursor on its line
    next_line: str  # the first non-blank line after the cursor's line, stripped
    max_lines: int = 12

    @property
    def indent(self) -> str:
        """The whitespace that starts the cursor's line before the cursor (the block's
        indentation)."""
        return self.line_before[: len(self.line_before) - len(self.line_before.lstrip())]

    def repeats_next_line(self, text: str) -> bool:
        """Whether the line ``text`` would complete (what the cursor's line holds before and
        after the cursor, with the first line of ``text`` between) is the first non-blank line
        below the cursor: the model re-typing the code that follows, the duplicate-line
        suggestion that users of completion servers report most after latency."""
        first = text.split("\n", 1)[0]
        if not self.next_line or not first.strip():
            return False  # a candidate that types nothing on this line repeats nothing
        return (self.line_before + first + self.rest_of_line).strip() == self.next_line

    def stopper(self) -> Callable[[str], int | None]:
        """A stop rule over the text generated so far: where to cut it, once done."""
        if not self.multiline:

            def single(text: str) -> int | None:
                nl = text.find("\n")
                return nl if nl >= 0 else None

            return single
        block = len(self.indent.expandtabs(4))
        next_line = self.next_line

        def multi(text: str) -> int | None:
            lines = text.split("\n")
            complete = lines[:-1]  # the last line may still be growing
            offset = 0
            for i, line in enumerate(complete):
                stripped = line.strip()
                width = len(line) - len(line.lstrip())
                if i > 0 and stripped:
                    indent = len(line[:width].expandtabs(4))
                    if indent < block or (indent == block and stripped[0] in _CLOSERS and i > 0):
                        return max(0, offset - 1)  # the block ended: cut before this line
                    if next_line and stripped == next_line:
                        return max(0, offset - 1)  # the model is repeating code that follows
                if i + 1 >= self.max_lines:
                    return offset + len(line)
                offset += len(line) + 1
            return None

        return multi


def indent_step(text: str, line_start: int, lines: int = 400) -> int:
    """The file's indentation step in spaces (0 for tabs), from the ``lines`` lines before
    ``line_start``: the most common increase of indentation from one non-blank line to the
    next (continuation lines aligned under a bracket are outvoted); 4 when nothing says."""
    votes: dict[int, int] = {}
    previous = None
    start = line_start
    for _ in range(lines):
        if start <= 0:
            break
        end = start - 1  # the newline that ends the line above
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if not line.strip():
            continue
        if line.startswith("\t"):
            votes[0] = votes.get(0, 0) + 1
            continue
        width = len(line) - len(line.lstrip(" "))
        if previous is not None and previous > width:
            votes[previous - width] = votes.get(previous - width, 0) + 1
        previous = width
    candidates = {step: n for step, n in votes.items() if step in (0, 2, 3, 4, 8)}
    return max(candidates, key=lambda step: (candidates[step], step)) if candidates else 4


def inside_indentation(line_before: str, step: int | Callable[[], int]) -> bool:
    """Whether the cursor sits in unfinished indentation: only spaces before it on its line,
    and not a whole number of indentation steps. ``step`` may be a function: it is called
    only for a line of spaces (finding the step scans up to 400 lines; a space typed after
    code should not pay for that)."""
    if not line_before or line_before.strip(" "):
        return False
    width = step() if callable(step) else step
    return width > 0 and len(line_before) % width != 0


def _in_block(node: ts.Node | None) -> bool:
    """Whether the cursor's node lies inside a statement block (below the file's root)."""
    while node is not None and node.parent is not None:
        if any(word in node.type for word in _BLOCK_WORDS):
            return True
        node = node.parent
    return False


def make_plan(
    line_before: str,
    line_after: str,
    previous_line: str,
    next_line: str,
    node: ts.Node | None,
    setting: str = "auto",
    max_lines: int = 12,
) -> Plan:
    """Decide single or multi-line for a cursor (``setting``: auto, always or never)."""
    rest = line_after
    mid_line = bool(rest.strip()) and not all(ch in _CLOSERS + " \t;,'\"`" for ch in rest.strip())
    if setting == "never" or mid_line:
        multiline = False
    elif setting == "always":
        multiline = True
    elif line_before.strip():
        multiline = False  # finishing the line being typed
    else:
        # An empty line after a block opener, inside a block, or indented (Python leaves
        # trailing blank lines outside the block node) continues or opens a block.
        opens = previous_line.rstrip().endswith(_OPENERS)
        multiline = opens or bool(line_before) or _in_block(node)
    return Plan(multiline, line_before, rest, next_line.strip(), max_lines)
