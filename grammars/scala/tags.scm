; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; `object`s (also `case object`s) are classes; defs are functions (methods by nesting); vals
; and vars in a class body, case class parameters and `val`/`var` parameters are properties;
; at the top level they are variables (`final val`: constants); enum cases are constants.
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `+` form and a plain form; the first wins.)

(([(block_comment) (comment)]* @doc
  .
  (trait_definition name: (identifier) @name) @definition.trait))

(([(block_comment) (comment)]* @doc
  .
  [
    (class_definition name: (identifier) @name)
    (object_definition name: (identifier) @name)
  ] @definition.class))

(([(block_comment) (comment)]* @doc
  .
  (enum_definition name: (identifier) @name) @definition.enum))

[
  (simple_enum_case name: (identifier) @name)
  (full_enum_case name: (identifier) @name)
] @definition.constant

(([(block_comment) (comment)]* @doc
  .
  [
    (function_definition name: (identifier) @name)
    (function_declaration name: (identifier) @name)
  ] @definition.function))

(([(block_comment) (comment)]* @doc
  .
  (type_definition name: (type_identifier) @name) @definition.type))

(class_definition
  "case"
  class_parameters: (class_parameters
    (class_parameter name: (identifier) @name) @definition.property))

(class_parameter ["val" "var"] name: (identifier) @name) @definition.property

(template_body
  [(block_comment) (comment)]+ @doc
  .
  [
    (val_definition pattern: (identifier) @name)
    (var_definition pattern: (identifier) @name)
    (val_declaration name: (identifier) @name)
    (var_declaration name: (identifier) @name)
  ] @definition.property)

(template_body
  [
    (val_definition pattern: (identifier) @name)
    (var_definition pattern: (identifier) @name)
    (val_declaration name: (identifier) @name)
    (var_declaration name: (identifier) @name)
  ] @definition.property)

(compilation_unit
  (val_definition
    (modifiers "final")
    pattern: (identifier) @name) @definition.constant)

(compilation_unit
  [(block_comment) (comment)]+ @doc
  .
  [
    (val_definition pattern: (identifier) @name)
    (var_definition pattern: (identifier) @name)
  ] @definition.variable)

(compilation_unit
  [
    (val_definition pattern: (identifier) @name)
    (var_definition pattern: (identifier) @name)
  ] @definition.variable)

; ---- references ---------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (identifier) @name)
    (generic_function function: (identifier) @name)
  ]) @reference.call

(instance_expression
  [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (stable_type_identifier (type_identifier) @name .)
  ]) @reference.class

(extends_clause
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (stable_type_identifier (type_identifier) @name .)
  ] @reference.class)

(type_identifier) @name @reference.type
