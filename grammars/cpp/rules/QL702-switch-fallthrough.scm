; id = "QL702"
; languages = ["cpp"]
; message = "this `case` runs on into the next one (no `break`, `return` or `[[fallthrough]]`): add `break;`, or mark the fall-through as intended"
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
