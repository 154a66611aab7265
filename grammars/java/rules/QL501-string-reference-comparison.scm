; id = "QL501"
; name = "string-reference-comparison"
; severity = "warning"
; category = "correctness"
; summary = "`==` / `!=` between strings compares references, not text."
; message = "`{op}` on strings compares object identity: two equal strings read at run time are different objects; use `equals`"
; explain = """
; **What.** `==` or `!=` where one side is a string literal, or both sides are variables,
; parameters or fields declared `String`.
;
; **Why.** For objects, `==` is reference equality. String literals are interned, so
; `s == "yes"` passes in a unit test with a literal and fails with text read from input,
; concatenated or substringed.
;
; **Fix.** `s == "yes"` becomes `"yes".equals(s)` (null-safe); two variables become
; `Objects.equals(a, b)` (adding `import java.util.Objects;` when needed). `!=` becomes the
; negation.
; """
; [fix]
; title = "Compare with `equals`"
; fixer = "java.string_equals"
(binary_expression left: (_) @left operator: ["==" "!="] @op right: (string_literal) @right) @finding
(binary_expression left: (string_literal) @left operator: ["==" "!="] @op right: (_) @right) @finding
