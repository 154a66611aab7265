; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; A declaration with one spec (`type T struct{}`) takes the doc comment before the keyword;
; specs in a group (`type ( ... )`) take the comment before the spec.

; ---- functions and methods -------------------------------------------------------------------

((comment)* @doc
 .
 (function_declaration name: (identifier) @name) @definition.function)

((comment)* @doc
 .
 (method_declaration name: (field_identifier) @name) @definition.method)

; ---- types -----------------------------------------------------------------------------------

((comment)* @doc
 .
 (type_declaration
   .
   (type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
   .))

((comment)* @doc
 .
 (type_declaration
   .
   (type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
   .))

((comment)* @doc
 .
 (type_declaration
   .
   [
     (type_spec name: (type_identifier) @name type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (array_type) (implicit_length_array_type) (map_type) (channel_type) (function_type) (negated_type) (parenthesized_type)])
     (type_alias name: (type_identifier) @name)
   ] @definition.type
   .))

; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so grouped specs have a pattern with `(comment)+` and a plain one; the first wins.)
(type_declaration
  (comment)+ @doc
  .
  (type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct)

(type_declaration
  (comment)+ @doc
  .
  (type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface)

(type_declaration
  (comment)+ @doc
  .
  [
    (type_spec name: (type_identifier) @name type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (array_type) (implicit_length_array_type) (map_type) (channel_type) (function_type) (negated_type) (parenthesized_type)])
    (type_alias name: (type_identifier) @name)
  ] @definition.type)

(type_declaration
  (type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct)

(type_declaration
  (type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface)

(type_declaration
  [
    (type_spec name: (type_identifier) @name type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (array_type) (implicit_length_array_type) (map_type) (channel_type) (function_type) (negated_type) (parenthesized_type)])
    (type_alias name: (type_identifier) @name)
  ] @definition.type)

((comment)* @doc
 .
 (field_declaration name: (field_identifier) @name) @definition.field)

((comment)* @doc
 .
 (method_elem name: (field_identifier) @name) @definition.method)

; ---- package-level constants and variables ---------------------------------------------------

(source_file
  (comment)+ @doc
  .
  (const_declaration . (const_spec name: (identifier) @name) @definition.constant .))

(source_file
  (comment)+ @doc
  .
  (var_declaration . (var_spec name: (identifier) @name) @definition.variable .))

(source_file
  (const_declaration
    (comment)+ @doc
    .
    (const_spec name: (identifier) @name) @definition.constant))

(source_file
  (var_declaration
    (var_spec_list
      (comment)+ @doc
      .
      (var_spec name: (identifier) @name) @definition.variable)))

(source_file
  (const_declaration
    (const_spec name: (identifier) @name) @definition.constant))

(source_file
  (var_declaration
    (var_spec name: (identifier) @name) @definition.variable))

(source_file
  (var_declaration
    (var_spec_list
      (var_spec name: (identifier) @name) @definition.variable)))

; ---- references ------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (selector_expression field: (field_identifier) @name)
    (generic_type type: [(type_identifier) (qualified_type name: (type_identifier))] @name)
  ]) @reference.call

(composite_literal
  type: [
    (type_identifier) @name
    (qualified_type name: (type_identifier) @name)
    (generic_type type: (type_identifier) @name)
  ]) @reference.class

(type_identifier) @name @reference.type
