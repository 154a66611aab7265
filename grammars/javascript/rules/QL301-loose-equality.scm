; id = "QL301"
; name = "loose-equality"
; severity = "warning"
; category = "correctness"
; languages = ["javascript", "typescript", "typescriptreact"]
; summary = "`==` / `!=` (type-converting comparison) instead of `===` / `!==`."
; report = "op"
; message = "`{op}` converts both sides before comparing (`0 == ''`, `'1' == 1` and `null == undefined` are all true); `{op}=` compares without conversion"
; explain = """
; **What.** An equality comparison with `==` or `!=`.
;
; **Why.** The abstract equality algorithm converts types first: `'' == 0`, `'0' == false`,
; `[1] == 1` are all `true`, and `==` is not transitive. Bugs from it look like logic errors.
; `===`/`!==` compare type and value.
;
; **Not reported.** Comparisons with `null` or `undefined` (`x == null` deliberately matches
; both) and `typeof x == "string"` (both sides are always strings).
;
; **Fix.** `==` becomes `===` and `!=` becomes `!==`.
; """
; [fix]
; title = "Use `{op}=`"
; edits = [{ capture = "op", text = "{op}=" }]
((binary_expression left: (_) @left operator: ["==" "!="] @op right: (_) @right) @finding
  (#not-match? @left "^(null|undefined)$")
  (#not-match? @right "^(null|undefined)$")
  (#not-match? @left "^typeof[ (]")
  (#not-match? @right "^typeof[ (]"))
