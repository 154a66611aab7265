; id = "QL501"
; message = "`{op}` on strings compares object identity: two equal strings read at run time are different objects; use `equals`"
; filters = ["java.string_operands"]
; [fix]
; title = "Compare with `Objects.equals`"
; fixer = "java.string_equals"
(binary_expression left: (identifier) @left operator: ["==" "!="] @op right: (identifier) @right) @finding
