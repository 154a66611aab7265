; id = "QL303"
; name = "no-var"
; severity = "warning"
; category = "style"
; languages = ["javascript", "typescript", "typescriptreact"]
; summary = "`var` declarations (function-scoped, hoisted) instead of `let` / `const`."
; report = "kw"
; file_filters = ["javascript.block_scoped_file"]
; message = "`var` is scoped to the whole function and hoisted: the variable leaks out of blocks and loops (closures in a loop all share it); use `let` or `const`"
; explain = """
; **What.** A `var` declaration.
;
; **Why.** `var` ignores blocks: a `var` inside an `if` or `for` exists in the whole function,
; is `undefined` before its line instead of an error, and every closure created in a loop
; captures the same variable (the classic `setTimeout` in a `for` loop that logs the last
; value N times). `let`/`const` are block-scoped and fail loudly when used too early.
;
; **Reported** only in files that already use `let` or `const` (and in TypeScript): there a
; `var` is an oversight. Files written entirely in ES5 style (lodash, for example) are left
; alone: converting them is a migration, not a fix.
;
; **Fix.** `var` becomes `let` (not preferred: check that the variable is not used outside
; its block or before its declaration; `const` is better when it is never reassigned).
; """
; [fix]
; title = "Use `let`"
; preferred = false
; edits = [{ capture = "kw", text = "let" }]
((variable_declaration "var" @kw) @finding
  (#not-parent? @finding "ambient_declaration"))
