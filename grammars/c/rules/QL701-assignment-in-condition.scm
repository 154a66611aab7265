; id = "QL701"
; name = "assignment-in-condition"
; severity = "warning"
; category = "correctness"
; summary = "`=` where a condition is expected (`if (x = 0)`): probably meant `==`."
; message = "`{finding}` assigns instead of comparing: the condition is the assigned value; write `==` to compare, or add parentheses `((...))` if the assignment is intended"
; explain = """
; **What.** An assignment (`=`) used directly as the condition of `if`, `while`, `do ... while`
; or `for`.
;
; **Why.** `if (x = 0)` assigns 0 to `x` and is never true; `if (p = q)` overwrites `p`. The
; compiler accepts it because an assignment is an expression. The convention for intended
; assignments is an extra pair of parentheses, `while ((c = next()))`, which this rule
; respects (as GCC and Clang do).
;
; **Fix.** Two fixes, neither preferred since the intent is unknown: compare with `==`, or
; add the parentheses that mark the assignment as intended.
; """
; [fix]
; title = "Compare with `==`"
; preferred = false
; edits = [{ capture = "op", text = "==" }]
; [[alternatives]]
; title = "Mark the assignment as intended: `((...))`"
; preferred = false
; edits = [{ capture = "finding", insert = "before", text = "(" }, { capture = "finding", insert = "after", text = ")" }]
(if_statement condition: (parenthesized_expression (assignment_expression operator: "=" @op) @finding))
(while_statement condition: (parenthesized_expression (assignment_expression operator: "=" @op) @finding))
(do_statement condition: (parenthesized_expression (assignment_expression operator: "=" @op) @finding))
