; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the outer doc
;   comments (/// or /** */) before it, attributes (#[...]) may sit between;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; Functions in an impl or trait are functions: the index makes them methods by nesting in the
; @definition.impl (named after the implementing type) or @definition.trait.
; Enum variants are constants; statics are variables; unions are structs.

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (function_item name: (identifier) @name) @definition.function))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (function_signature_item name: (identifier) @name) @definition.function))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  [
    (struct_item name: (type_identifier) @name)
    (union_item name: (type_identifier) @name)
  ] @definition.struct))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (enum_item name: (type_identifier) @name) @definition.enum))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (enum_variant name: (identifier) @name) @definition.constant))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (trait_item name: (type_identifier) @name) @definition.trait))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (impl_item
    type: [
      (type_identifier) @name
      (generic_type type: (type_identifier) @name)
      (scoped_type_identifier name: (type_identifier) @name)
      (reference_type type: (type_identifier) @name)
    ]) @definition.impl))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  [
    (type_item name: (type_identifier) @name)
    (associated_type name: (type_identifier) @name)
  ] @definition.type))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (mod_item name: (identifier) @name) @definition.module))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (macro_definition name: (identifier) @name) @definition.macro))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (const_item name: (identifier) @name) @definition.constant))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (static_item name: (identifier) @name) @definition.variable))

(([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]* @doc
  .
  (attribute_item)*
  .
  (field_declaration name: (field_identifier) @name) @definition.field))

; ---- references ------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
    (scoped_identifier name: (identifier) @name)
    (generic_function function: [
      (identifier) @name
      (field_expression field: (field_identifier) @name)
      (scoped_identifier name: (identifier) @name)
    ])
  ]) @reference.call

(macro_invocation
  macro: [
    (identifier) @name
    (scoped_identifier name: (identifier) @name)
  ]) @reference.call

(impl_item
  trait: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
  ] @reference.implementation)

(struct_expression
  name: [
    (type_identifier) @name
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type_with_turbofish type: (type_identifier) @name)
  ]) @reference.class

(type_identifier) @name @reference.type
