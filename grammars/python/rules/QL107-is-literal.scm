; id = "QL107"
; name = "is-literal"
; severity = "warning"
; category = "correctness"
; summary = "`is` / `is not` with a string, number or tuple literal."
; message = "`{op}` with a literal compares object identity, not value: the result depends on interning and caching (Python warns with SyntaxWarning)"
; explain = """
; **What.** `x is "abc"`, `n is 1`, `t is not ()`: identity comparison against a literal.
;
; **Why.** `is` asks whether both sides are the same object. Whether two equal strings or
; numbers are the same object is an implementation detail: small ints and some strings are
; cached, others are not, so the code works in a test and fails with a value read from a file.
; CPython 3.8+ emits `SyntaxWarning: "is" with a literal`.
;
; **Fix.** `is` becomes `==` and `is not` becomes `!=`. (`is None`, `is True`, `is False` are
; right and not reported.)
; """
; [fix]
; title = "Compare values (`==` / `!=`)"
; edits = [
;   { capture = "op", regex = "^is not$", text = "!=" },
;   { capture = "op", regex = "^is$", text = "==" },
; ]
(comparison_operator (_) operators: ["is" "is not"] @op [(integer) (float) (string) (concatenated_string) (tuple)]) @finding
(comparison_operator [(integer) (float) (string) (concatenated_string) (tuple)] operators: ["is" "is not"] @op (_)) @finding
