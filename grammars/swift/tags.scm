; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; The grammar has one class_declaration for class/struct/enum/actor/extension, told apart by its
; declaration_kind. Actors are classes; an extension is an impl named after the extended type;
; protocols are interfaces; funcs are functions (methods by nesting); `init` is the constructor;
; properties in a type body are properties, at the top level `let` is a constant and `var` a
; variable; enum cases are constants.
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `+` form and a plain form; the first wins.)

(([(comment) (multiline_comment)]* @doc
  .
  (class_declaration
    declaration_kind: ["class" "actor"]
    name: (type_identifier) @name) @definition.class))

(([(comment) (multiline_comment)]* @doc
  .
  (class_declaration
    declaration_kind: "struct"
    name: (type_identifier) @name) @definition.struct))

(([(comment) (multiline_comment)]* @doc
  .
  (class_declaration
    declaration_kind: "enum"
    name: (type_identifier) @name) @definition.enum))

(([(comment) (multiline_comment)]* @doc
  .
  (class_declaration
    declaration_kind: "extension"
    name: (user_type (type_identifier) @name .)) @definition.impl))

(([(comment) (multiline_comment)]* @doc
  .
  (protocol_declaration name: (type_identifier) @name) @definition.interface))

(enum_entry name: (simple_identifier) @name) @definition.constant

(([(comment) (multiline_comment)]* @doc
  .
  (init_declaration "init" @name) @definition.constructor))

(([(comment) (multiline_comment)]* @doc
  .
  [
    (function_declaration name: (simple_identifier) @name)
    (protocol_function_declaration name: (simple_identifier) @name)
  ] @definition.function))

(([(comment) (multiline_comment)]* @doc
  .
  (typealias_declaration name: (type_identifier) @name) @definition.type))

(([(comment) (multiline_comment)]* @doc
  .
  (protocol_property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property))

(class_body
  [(comment) (multiline_comment)]+ @doc
  .
  (property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)

(class_body
  (property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)

(enum_class_body
  [(comment) (multiline_comment)]+ @doc
  .
  (property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)

(enum_class_body
  (property_declaration
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.property)

(source_file
  [(comment) (multiline_comment)]+ @doc
  .
  (property_declaration
    (value_binding_pattern mutability: "let")
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.constant)

(source_file
  (property_declaration
    (value_binding_pattern mutability: "let")
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.constant)

(source_file
  [(comment) (multiline_comment)]+ @doc
  .
  (property_declaration
    (value_binding_pattern mutability: "var")
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.variable)

(source_file
  (property_declaration
    (value_binding_pattern mutability: "var")
    name: (pattern bound_identifier: (simple_identifier) @name)) @definition.variable)

; ---- references ---------------------------------------------------------------------------------

; (a subscript `a[i]` is a call_expression too: its arguments start with `[`)
(call_expression
  [
    (simple_identifier) @name
    (navigation_expression suffix: (navigation_suffix suffix: (simple_identifier) @name))
  ]
  (call_suffix [(value_arguments "(") (lambda_literal)])) @reference.call

(inheritance_specifier
  inherits_from: (user_type (type_identifier) @name .) @reference.class)

(user_type (type_identifier) @name @reference.type)
