; id = "QL702"
; name = "switch-fallthrough"
; severity = "hint"
; category = "correctness"
; languages = ["c"]
; summary = "A `case` with statements that falls into the next `case` without `break`."
; message = "this `case` runs on into the next one (no `break`, `return` or fall-through mark): add `break;`, or mark the fall-through as intended"
; explain = """
; **What.** A `case` (or `default`) label followed by statements, where the last statement
; is not `break`, `return`, `continue`, `goto`, `throw`, a call of `exit`/`abort`, or an `if`
; whose branches all end that way, and the next thing is another `case`.
;
; **Why.** Execution continues into the next case's statements: a forgotten `break` runs code
; meant for another value. C and C++ allow it on purpose, so intended fall-through should
; say so.
;
; **Not reported.** Empty cases that group labels (`case 1: case 2: ...`), cases ending in a
; comment containing "fall" (`/* fall through */`), `[[fallthrough]];`,
; `__attribute__((fallthrough))`.
;
; **Fix.** Two fixes, not preferred: insert `break;`, or mark the fall-through
; (`[[fallthrough]];` in C++, `/* fall through */` in C).
; """
; [fix]
; title = "Add `break;`"
; fixer = "c.add_break"
; preferred = false
; [[alternatives]]
; title = "Mark as intended"
; fixer = "c.mark_fallthrough"
; preferred = false
((case_statement) @finding . (case_statement)
  (#falls-through? @finding))
