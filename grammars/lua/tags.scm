; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins.
; `function T:m()` is a method; `function T.f()`, `T.f = function` and `{ f = function }` are
; functions named f. Variables assigned at the top of the chunk are variables, except
; `local x = require(...)` (an import).
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `+` form and a plain form; the first wins.)

((comment)* @doc
 .
 (function_declaration
   name: (method_index_expression method: (identifier) @name)) @definition.method)

((comment)* @doc
 .
 (function_declaration
   name: [
     (identifier) @name
     (dot_index_expression field: (identifier) @name)
   ]) @definition.function)

((comment)* @doc
 .
 [
   (assignment_statement
     (variable_list
       .
       name: [
         (identifier) @name
         (dot_index_expression field: (identifier) @name)
       ])
     (expression_list . value: (function_definition)))
   (variable_declaration
     (assignment_statement
       (variable_list . name: (identifier) @name)
       (expression_list . value: (function_definition))))
 ] @definition.function)

(field
  name: (identifier) @name
  value: (function_definition)) @definition.function

(chunk
  (comment)+ @doc
  .
  [
    (variable_declaration
      (assignment_statement
        (variable_list . name: (identifier) @name)
        (expression_list . value: (_) @_value)))
    (assignment_statement
      (variable_list . name: (identifier) @name)
      (expression_list . value: (_) @_value))
  ] @definition.variable
  (#not-match? @_value "^require[ \t(\"']"))

(chunk
  [
    (variable_declaration
      (assignment_statement
        (variable_list . name: (identifier) @name)
        (expression_list . value: (_) @_value)))
    (assignment_statement
      (variable_list . name: (identifier) @name)
      (expression_list . value: (_) @_value))
  ] @definition.variable
  (#not-match? @_value "^require[ \t(\"']"))

; ---- references ---------------------------------------------------------------------------------

((function_call
   name: [
     (identifier) @name
     (dot_index_expression field: (identifier) @name)
     (method_index_expression method: (identifier) @name)
   ]) @reference.call
 (#not-eq? @name "require"))
