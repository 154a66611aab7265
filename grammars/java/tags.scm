; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins.
; Records are classes, annotation types are interfaces, enum constants and `static final`
; fields are constants.

((block_comment)* @doc
 .
 (class_declaration name: (identifier) @name) @definition.class)

((block_comment)* @doc
 .
 (record_declaration name: (identifier) @name) @definition.class)

((block_comment)* @doc
 .
 [
   (interface_declaration name: (identifier) @name)
   (annotation_type_declaration name: (identifier) @name)
 ] @definition.interface)

((block_comment)* @doc
 .
 (enum_declaration name: (identifier) @name) @definition.enum)

((block_comment)* @doc
 .
 (enum_constant name: (identifier) @name) @definition.constant)

((block_comment)* @doc
 .
 (constructor_declaration name: (identifier) @name) @definition.constructor)

((block_comment)* @doc
 .
 (compact_constructor_declaration name: (identifier) @name) @definition.constructor)

((block_comment)* @doc
 .
 [
   (method_declaration name: (identifier) @name)
   (annotation_type_element_declaration name: (identifier) @name)
 ] @definition.method)

((block_comment)* @doc
 .
 (field_declaration
   (modifiers) @_mods
   declarator: (variable_declarator name: (identifier) @name)) @definition.constant
 (#match? @_mods "(^|[ \t\n])static([ \t\n]|$)")
 (#match? @_mods "(^|[ \t\n])final([ \t\n]|$)"))

; (the complement of the constant pattern above)
((block_comment)* @doc
 .
 (field_declaration
   declarator: (variable_declarator name: (identifier) @name)) @definition.field
 (#not-match? @definition.field "^([^=;]*[ \t\n])?static[ \t\n]([^=;]*[ \t\n])?final[ \t\n]|^([^=;]*[ \t\n])?final[ \t\n]([^=;]*[ \t\n])?static[ \t\n]"))

((block_comment)* @doc
 .
 (constant_declaration
   declarator: (variable_declarator name: (identifier) @name)) @definition.constant)

(record_declaration
  parameters: (formal_parameters
    (formal_parameter name: (identifier) @name) @definition.field))

; ---- references ------------------------------------------------------------------------------

(method_invocation
  name: (identifier) @name) @reference.call

(object_creation_expression
  type: [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
    (scoped_type_identifier (type_identifier) @name .)
  ]) @reference.class

(superclass
  [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
    (scoped_type_identifier (type_identifier) @name .)
  ] @reference.class)

(super_interfaces
  (type_list
    [
      (type_identifier) @name
      (generic_type (type_identifier) @name)
      (scoped_type_identifier (type_identifier) @name .)
    ] @reference.implementation))

(extends_interfaces
  (type_list
    [
      (type_identifier) @name
      (generic_type (type_identifier) @name)
    ] @reference.implementation))

(type_identifier) @name @reference.type
