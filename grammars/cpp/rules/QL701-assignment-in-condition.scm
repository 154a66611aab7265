; id = "QL701"
; message = "`{finding}` assigns instead of comparing: the condition is the assigned value; write `==` to compare, or add parentheses `((...))` if the assignment is intended"
; [fix]
; title = "Compare with `==`"
; preferred = false
; edits = [{ capture = "op", text = "==" }]
; [[alternatives]]
; title = "Mark the assignment as intended: `((...))`"
; preferred = false
; edits = [{ capture = "finding", insert = "before", text = "(" }, { capture = "finding", insert = "after", text = ")" }]
(if_statement condition: (condition_clause value: (assignment_expression operator: "=" @op) @finding))
(while_statement condition: (condition_clause value: (assignment_expression operator: "=" @op) @finding))
(do_statement condition: (parenthesized_expression (assignment_expression operator: "=" @op) @finding))
