; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so the `export` forms (whose doc comment precedes the export statement) come first.
; Methods are method_definition / method_signature; getters and setters are properties; enum
; members are constants. (The same as grammars/typescript/tags.scm, plus JSX references at the end.)

; ---- classes, interfaces, types, enums, namespaces -------------------------------------------

((comment)* @doc
 .
 (export_statement
   declaration: [
     (class_declaration name: (type_identifier) @name)
     (abstract_class_declaration name: (type_identifier) @name)
   ] @definition.class))

((comment)* @doc
 .
 [
   (class_declaration name: (type_identifier) @name)
   (abstract_class_declaration name: (type_identifier) @name)
 ] @definition.class)

(variable_declarator
  name: (identifier) @name
  value: (class)) @definition.class

((comment)* @doc
 .
 (export_statement
   declaration: (interface_declaration name: (type_identifier) @name) @definition.interface))

((comment)* @doc
 .
 (interface_declaration name: (type_identifier) @name) @definition.interface)

((comment)* @doc
 .
 (export_statement
   declaration: (type_alias_declaration name: (type_identifier) @name) @definition.type))

((comment)* @doc
 .
 (type_alias_declaration name: (type_identifier) @name) @definition.type)

((comment)* @doc
 .
 (export_statement
   declaration: (enum_declaration name: (identifier) @name) @definition.enum))

((comment)* @doc
 .
 (enum_declaration name: (identifier) @name) @definition.enum)

(enum_body name: (property_identifier) @name @definition.constant)
(enum_assignment name: (property_identifier) @name) @definition.constant

((comment)* @doc
 .
 (export_statement
   declaration: [
     (internal_module name: [(identifier) (nested_identifier)] @name)
     (module name: [(identifier) (nested_identifier) (string)] @name)
   ] @definition.namespace))

((comment)* @doc
 .
 [
   (internal_module name: [(identifier) (nested_identifier)] @name)
   (module name: [(identifier) (nested_identifier) (string)] @name)
 ] @definition.namespace)

; ---- class and interface members -------------------------------------------------------------

((comment)* @doc
 .
 (method_definition
   name: (property_identifier) @name) @definition.constructor
 (#eq? @name "constructor"))

((comment)* @doc
 .
 (method_definition
   ["get" "set"]
   name: [(property_identifier) (private_property_identifier)] @name) @definition.property)

((comment)* @doc
 .
 [
   (method_definition name: [(property_identifier) (private_property_identifier)] @name)
   (abstract_method_signature name: [(property_identifier) (private_property_identifier)] @name)
 ] @definition.method)

((comment)* @doc
 .
 (public_field_definition
   name: [(property_identifier) (private_property_identifier)] @name) @definition.field)

; members of interfaces and of `type T = { ... }` (not of inline object types); a quantified
; comment before an anchor inside a parent pattern loses matches in tree-sitter, so each has a
; pattern with `(comment)+` and a plain one (the first wins)
(interface_body
  (comment)+ @doc
  .
  [
    (method_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.method
    (property_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.field
  ])
(type_alias_declaration
  value: (object_type
    (comment)+ @doc
    .
    [
      (method_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.method
      (property_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.field
    ]))
(interface_body
  [
    (method_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.method
    (property_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.field
  ])
(type_alias_declaration
  value: (object_type
    [
      (method_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.method
      (property_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.field
    ]))

; constructor(private readonly name: string)
(method_definition
  name: (property_identifier) @_ctor
  parameters: (formal_parameters
    (required_parameter
      (accessibility_modifier)
      pattern: (identifier) @name) @definition.field)
  (#eq? @_ctor "constructor"))

; ---- functions -------------------------------------------------------------------------------

((comment)* @doc
 .
 (export_statement
   declaration: [
     (function_declaration name: (identifier) @name)
     (generator_function_declaration name: (identifier) @name)
   ] @definition.function))

((comment)* @doc
 .
 [
   (function_declaration name: (identifier) @name)
   (generator_function_declaration name: (identifier) @name)
   (function_signature name: (identifier) @name)
 ] @definition.function)

((comment)* @doc
 .
 (export_statement
   declaration: (lexical_declaration
     (variable_declarator
       name: (identifier) @name
       value: [(arrow_function) (function_expression) (generator_function)]) @definition.function)))

((comment)* @doc
 .
 [
   (lexical_declaration
     (variable_declarator
       name: (identifier) @name
       value: [(arrow_function) (function_expression) (generator_function)]) @definition.function)
   (variable_declaration
     (variable_declarator
       name: (identifier) @name
       value: [(arrow_function) (function_expression) (generator_function)]) @definition.function)
 ])

(assignment_expression
  left: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ]
  right: [(arrow_function) (function_expression) (generator_function)]) @definition.function

(pair
  key: [(property_identifier) (string)] @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; ---- top-level constants and variables -------------------------------------------------------
; (`const x = require("m")` is an import, not a definition: see imports.scm)

((comment)* @doc
 .
 (export_statement
   declaration: (lexical_declaration
     "const"
     (variable_declarator name: (identifier) @name) @definition.constant)))

((comment)* @doc
 .
 (export_statement
   declaration: [
     (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable)
     (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable)
   ]))

(program
  (lexical_declaration
    "const"
    (variable_declarator name: (identifier) @name value: (_)? @_value) @definition.constant)
  (#not-match? @_value "^require[ \t]*\\("))

(program
  [
    (lexical_declaration (variable_declarator name: (identifier) @name value: (_)? @_value) @definition.variable)
    (variable_declaration (variable_declarator name: (identifier) @name value: (_)? @_value) @definition.variable)
  ]
  (#not-match? @_value "^require[ \t]*\\("))

; ---- references ------------------------------------------------------------------------------

((call_expression
   function: (identifier) @name) @reference.call
 (#not-eq? @name "require"))

(call_expression
  function: (member_expression property: (property_identifier) @name)) @reference.call

(new_expression
  constructor: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ]) @reference.class

(extends_clause
  value: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ] @reference.class)

(implements_clause
  [
    (type_identifier) @name
    (generic_type name: (type_identifier) @name)
    (nested_type_identifier name: (type_identifier) @name)
  ] @reference.implementation)

[
  (type_annotation (type_identifier) @name @reference.type)
  (generic_type name: (type_identifier) @name @reference.type)
  (nested_type_identifier name: (type_identifier) @name @reference.type)
  (type_arguments (type_identifier) @name @reference.type)
  (array_type (type_identifier) @name @reference.type)
  (union_type (type_identifier) @name @reference.type)
  (intersection_type (type_identifier) @name @reference.type)
  (constraint (type_identifier) @name @reference.type)
  (default_type (type_identifier) @name @reference.type)
  (extends_type_clause type: (type_identifier) @name @reference.type)
  (type_alias_declaration value: (type_identifier) @name @reference.type)
  (as_expression (type_identifier) @name @reference.type)
  (satisfies_expression (type_identifier) @name @reference.type)
  (tuple_type (type_identifier) @name @reference.type)
  (parenthesized_type (type_identifier) @name @reference.type)
  (readonly_type (type_identifier) @name @reference.type)
  (lookup_type (type_identifier) @name @reference.type)
]

; ---- JSX: <Component /> renders (calls) a component; lower-case tags are HTML elements ---------

((jsx_opening_element name: (identifier) @name) @reference.call
 (#match? @name "^[A-Z]"))

((jsx_self_closing_element name: (identifier) @name) @reference.call
 (#match? @name "^[A-Z]"))

(jsx_opening_element name: (member_expression property: (property_identifier) @name)) @reference.call
(jsx_self_closing_element name: (member_expression property: (property_identifier) @name)) @reference.call
