; id = "QL401"
; name = "dropped-error-value"
; severity = "warning"
; category = "correctness"
; summary = "`errors.New(...)` / `fmt.Errorf(...)` called as a statement: the error is created and dropped."
; message = "`{pkg}.{fn}(...)` builds an error that nothing returns or stores: the failure it describes is silently ignored"
; explain = """
; **What.** A call of `errors.New` or `fmt.Errorf` whose result is not used.
;
; **Why.** These functions only build an error value; they do not report anything. Writing
; `errors.New("bad input")` as a statement is almost always a forgotten `return`, so the
; function carries on as if nothing went wrong.
;
; **Fix.** In a function that returns just `error`, prefixes `return`. Elsewhere, return it
; with the other results or assign it.
; """
; [fix]
; title = "Return the error"
; fixer = "go.return_error"
((expression_statement
   (call_expression function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn))) @finding
  (#eq? @pkg "errors") (#eq? @fn "New"))
((expression_statement
   (call_expression function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn))) @finding
  (#eq? @pkg "fmt") (#eq? @fn "Errorf"))
