; id = "QL502"
; name = "empty-catch"
; severity = "warning"
; category = "correctness"
; summary = "A `catch` block with nothing in it: the exception disappears."
; report = "param"
; message = "empty `catch` swallows `{type}`: the failure leaves no trace and the code carries on in a broken state"
; explain = """
; **What.** A `catch` clause whose block has no statement and no comment.
;
; **Why.** The exception, its message and its stack trace are lost; the program continues as
; if the `try` had succeeded. When something then goes wrong later, nothing points here.
;
; **Not reported.** Blocks with a comment saying why ignoring is right, and catch parameters
; named `ignored`, `ignore`, `expected` or `_` (the usual way to say it on purpose).
;
; **Fix.** Handle it (retry, default value), log it, or rethrow it wrapped
; (`throw new IllegalStateException("...", e);`). If ignoring is right, rename the parameter
; `ignored` or add a comment saying why.
; """
((catch_clause (catch_formal_parameter (catch_type) @type name: (identifier) @name) @param body: (block) @body) @finding
  (#empty? @body)
  (#not-match? @name "^(ignored|ignore|expected|_)$"))
