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
; **Reported** when one side is a literal (number, string, template, boolean, array): that is
; where conversion bites (`x == 0` is true for `''`, `'0'`, `false` and `[]`). Comparisons of two
; variables are left alone: older code (lodash, for example) uses `==` between values it knows
; have the same type, and the rule cannot know the types.
;
; **Not reported.** Comparisons with `null` or `undefined` (`x == null` deliberately matches
; both) and `typeof x == "string"` (`typeof` always gives a string).
;
; **Fix.** `==` becomes `===` and `!=` becomes `!==`.
; """
; [fix]
; title = "Use `{op}=`"
; edits = [{ capture = "op", text = "{op}=" }]
((binary_expression
   left: (_) @left operator: ["==" "!="] @op
   right: [(number) (string) (template_string) (true) (false) (array)] @right) @finding
  (#not-match? @left "^typeof[ (]"))
((binary_expression
   left: [(number) (string) (template_string) (true) (false) (array)] @left operator: ["==" "!="] @op
   right: (_) @right) @finding
  (#not-match? @right "^typeof[ (]"))
