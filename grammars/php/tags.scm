; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; Properties are fields named without their `$`; `__construct` is the constructor (its promoted
; parameters are fields); enum cases and class constants are constants; `use Trait;` inside a
; class is an implementation reference.

((comment)* @doc
 .
 (namespace_definition name: (namespace_name) @name) @definition.namespace)

((comment)* @doc
 .
 (class_declaration name: (name) @name) @definition.class)

((comment)* @doc
 .
 (interface_declaration name: (name) @name) @definition.interface)

((comment)* @doc
 .
 (trait_declaration name: (name) @name) @definition.trait)

((comment)* @doc
 .
 (enum_declaration name: (name) @name) @definition.enum)

((comment)* @doc
 .
 (enum_case name: (name) @name) @definition.constant)

((comment)* @doc
 .
 (function_definition name: (name) @name) @definition.function)

((comment)* @doc
 .
 (method_declaration name: (name) @name) @definition.constructor
 (#eq? @name "__construct"))

((comment)* @doc
 .
 (method_declaration name: (name) @name) @definition.method
 (#not-eq? @name "__construct"))

((comment)* @doc
 .
 (const_declaration (const_element (name) @name)) @definition.constant)

((comment)* @doc
 .
 (property_declaration
   (property_element name: (variable_name (name) @name))) @definition.field)

(property_promotion_parameter
  name: (variable_name (name) @name)) @definition.field

; ---- references ---------------------------------------------------------------------------------

(function_call_expression
  function: [
    (name) @name
    (qualified_name (name) @name .)
  ]) @reference.call

[
  (member_call_expression name: (name) @name)
  (nullsafe_member_call_expression name: (name) @name)
  (scoped_call_expression name: (name) @name)
] @reference.call

(object_creation_expression
  [
    (name) @name
    (qualified_name (name) @name .)
  ]) @reference.class

(base_clause
  [
    (name) @name
    (qualified_name (name) @name .)
  ] @reference.class)

(class_interface_clause
  [
    (name) @name
    (qualified_name (name) @name .)
  ] @reference.implementation)

(use_declaration
  [
    (name) @name
    (qualified_name (name) @name .)
  ] @reference.implementation)

(named_type
  [
    (name) @name
    (qualified_name (name) @name .)
  ]) @reference.type
