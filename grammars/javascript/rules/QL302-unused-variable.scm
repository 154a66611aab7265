; id = "QL302"
; name = "unused-variable"
; severity = "warning"
; category = "correctness"
; languages = ["javascript", "typescript", "typescriptreact"]
; summary = "A variable, function or import that is declared and never used."
; analyzer = "javascript.unused_variables"
; tags = ["unnecessary"]
; fixable = true
; explain = """
; **What.** A `const`/`let`/`var` binding (destructured ones too), a function declaration or
; an import whose name never occurs again in its scope (the block for `let`/`const`, the
; function for `var`, the module for imports).
;
; **Why.** Dead declarations are noise at best; often they are a value computed and then
; forgotten, or a later use that has a typo.
;
; **Not reported.** Names starting with `_`, exported declarations, keys omitted next to a
; `...rest` pattern, top-level names of plain scripts (other scripts may use those globals),
; `.d.ts` files. A name that appears anywhere else in the scope's text (even in a comment)
; counts as used: the rule prefers silence to a false alarm.
;
; **Fix.** Removes a single-variable declaration whose value has no side effects, or the
; unused import (or its specifier).
; """
(variable_declarator name: (identifier) @decl)
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @decl))
(variable_declarator name: (object_pattern (pair_pattern value: (identifier) @decl)))
(variable_declarator name: (array_pattern (identifier) @decl))
(function_declaration name: (identifier) @decl)
(import_clause (identifier) @decl.import)
(import_specifier name: (identifier) @decl.import !alias)
(import_specifier alias: (identifier) @decl.import)
(namespace_import (identifier) @decl.import)
