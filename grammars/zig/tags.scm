; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; Types are `const` declarations: `const S = struct {...}` is a struct (unions too), `enum` an
; enum (its fields constants), `error{...}` an enum of errors, `opaque` a type. Other `const`s
; and `var`s of a file or container are constants and variables, except
; `const x = @import("m")` (an import).
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `+` form and a plain form; the first wins.)

((comment)* @doc
 .
 (function_declaration name: (identifier) @name) @definition.function)

((comment)* @doc
 .
 (variable_declaration (identifier) @name [(struct_declaration) (union_declaration)]) @definition.struct)

((comment)* @doc
 .
 (variable_declaration (identifier) @name [(enum_declaration) (error_set_declaration)]) @definition.enum)

((comment)* @doc
 .
 (variable_declaration (identifier) @name (opaque_declaration)) @definition.type)

(enum_declaration (container_field name: (identifier) @name) @definition.constant)
(error_set_declaration (identifier) @name @definition.constant)

(struct_declaration
  (comment)+ @doc
  .
  (container_field name: (identifier) @name) @definition.field)

(union_declaration
  (comment)+ @doc
  .
  (container_field name: (identifier) @name) @definition.field)

(struct_declaration (container_field name: (identifier) @name) @definition.field)
(union_declaration (container_field name: (identifier) @name) @definition.field)

; file- and container-level constants and variables
(source_file
  (comment)+ @doc
  .
  (variable_declaration "const" (identifier) @name "=" (_) @_value) @definition.constant
  (#not-match? @_value "^@import")
  (#not-match? @_value "^(extern[ \t\n]+|packed[ \t\n]+)?(struct|union|enum|error|opaque)([ \t\n({]|$)"))

(source_file
  (variable_declaration "const" (identifier) @name "=" (_) @_value) @definition.constant
  (#not-match? @_value "^@import")
  (#not-match? @_value "^(extern[ \t\n]+|packed[ \t\n]+)?(struct|union|enum|error|opaque)([ \t\n({]|$)"))

(source_file
  (comment)+ @doc
  .
  (variable_declaration "var" (identifier) @name) @definition.variable)

(source_file
  (variable_declaration "var" (identifier) @name) @definition.variable)

(struct_declaration
  (comment)+ @doc
  .
  (variable_declaration "const" (identifier) @name "=" (_) @_value) @definition.constant
  (#not-match? @_value "^@import")
  (#not-match? @_value "^(extern[ \t\n]+|packed[ \t\n]+)?(struct|union|enum|error|opaque)([ \t\n({]|$)"))

(struct_declaration
  (variable_declaration "const" (identifier) @name "=" (_) @_value) @definition.constant
  (#not-match? @_value "^@import")
  (#not-match? @_value "^(extern[ \t\n]+|packed[ \t\n]+)?(struct|union|enum|error|opaque)([ \t\n({]|$)"))

(struct_declaration
  (variable_declaration "var" (identifier) @name) @definition.variable)

; ---- references ---------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (field_expression member: (identifier) @name)
  ]) @reference.call

(_ type: [
  (identifier) @name
  (field_expression member: (identifier) @name)
  (pointer_type (identifier) @name)
  (nullable_type (identifier) @name)
] @reference.type)
