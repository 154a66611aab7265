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
 (decorator)*
 .
 (method_definition
   name: (property_identifier) @name) @definition.constructor
 (#eq? @name "constructor"))

((comment)* @doc
 .
 (decorator)*
 .
 (method_definition
   ["get" "set"]
   name: [(property_identifier) (private_property_identifier)] @name) @definition.property)

((comment)* @doc
 .
 (decorator)*
 .
 (method_definition
   name: [(property_identifier) (private_property_identifier)] @name) @definition.method
 (#not-eq? @name "constructor")
 (#not-match? @definition.method "^((static|public|private|protected|override|readonly|abstract|accessor|declare|async)[ \t\n]+)*(get|set)[ \t\n]+[^ \t\n(]"))

((comment)* @doc
 .
 (decorator)*
 .
 (abstract_method_signature
   name: [(property_identifier) (private_property_identifier)] @name) @definition.method)

((comment)* @doc
 .
 (decorator)*
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
; (Only values that are not functions nor classes, which the patterns above define; and not
; `const x = require("m")`, an import: see imports.scm.)

((comment)* @doc
 .
 (export_statement
   declaration: (lexical_declaration
     "const"
     (variable_declarator
       name: (identifier) @name
       value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property) (as_expression) (satisfies_expression) (non_null_expression) (instantiation_expression)]) @definition.constant)))

((comment)* @doc
 .
 (export_statement
   declaration: [
     (lexical_declaration
       "let"
       (variable_declarator
         name: (identifier) @name
         value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property) (as_expression) (satisfies_expression) (non_null_expression) (instantiation_expression)]?) @definition.variable)
     (variable_declaration
       (variable_declarator
         name: (identifier) @name
         value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property) (as_expression) (satisfies_expression) (non_null_expression) (instantiation_expression)]?) @definition.variable)
   ]))

(program
  (lexical_declaration
    "const"
    (variable_declarator
      name: (identifier) @name
      value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property) (as_expression) (satisfies_expression) (non_null_expression) (instantiation_expression)] @_value) @definition.constant)
  (#not-match? @_value "^require[ \t]*\\("))

(program
  [
    (lexical_declaration
      "let"
      (variable_declarator
        name: (identifier) @name
        value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property) (as_expression) (satisfies_expression) (non_null_expression) (instantiation_expression)]? @_value) @definition.variable)
    (variable_declaration
      (variable_declarator
        name: (identifier) @name
        value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property) (as_expression) (satisfies_expression) (non_null_expression) (instantiation_expression)]? @_value) @definition.variable)
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
