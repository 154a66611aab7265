; id = "QL402"
; name = "err-shadowing"
; severity = "warning"
; category = "correctness"
; summary = "`err :=` inside an `if` hides an outer `err` that is read after the `if`."
; analyzer = "go.err_shadowing"
; fixable = true
; explain = """
; **What.** Inside an `if` (its initializer or its blocks), `:=` declares a new `err` while
; the function already has an `err` (a `var`, an earlier `:=`, a named result), and that outer
; `err` is read after the `if` (or returned by a bare `return`) before being assigned again.
;
; **Why.** `:=` declares new variables for every name on its left that is new *in this
; block*; `err` is new in the inner block, so the error lands in the inner variable and the
; outer `err` keeps its old value (usually `nil`). The function then returns or checks the
; wrong `err`: a failure that disappears.
;
; **Fix.** When `err` is the only name on the left, `:=` becomes `=` (assigning the outer
; variable). With several names, declare the others before (`var x T`) and use `=`.
; """
(if_statement
  initializer: (short_var_declaration left: (expression_list (identifier) @err)) @decl
  (#eq? @err "err")) @if
(if_statement
  consequence: (block (statement_list (short_var_declaration left: (expression_list (identifier) @err)) @decl))
  (#eq? @err "err")) @if
(if_statement
  alternative: (block (statement_list (short_var_declaration left: (expression_list (identifier) @err)) @decl))
  (#eq? @err "err")) @if
