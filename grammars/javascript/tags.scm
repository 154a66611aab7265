; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so the `export` forms (whose doc comment precedes the export statement) come first.
; Methods are method_definition; getters and setters are properties.

; ---- classes ---------------------------------------------------------------------------------

((comment)* @doc
 .
 (export_statement
   declaration: (class_declaration name: (identifier) @name) @definition.class))

((comment)* @doc
 .
 (class_declaration name: (identifier) @name) @definition.class)

(variable_declarator
  name: (identifier) @name
  value: (class)) @definition.class

(class_heritage (identifier) @name @reference.class)
(class_heritage (member_expression property: (property_identifier) @name) @reference.class)

; ---- class members ---------------------------------------------------------------------------

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
 (field_definition
   property: [(property_identifier) (private_property_identifier)] @name) @definition.field)

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
 ] @definition.function)

; const f = () => {} / const f = function () {}
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

; obj.f = function () {} / module.exports.f = () => {}
(assignment_expression
  left: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ]
  right: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; { f: () => {} }
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
       value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property)]) @definition.constant)))

((comment)* @doc
 .
 (export_statement
   declaration: [
     (lexical_declaration
       "let"
       (variable_declarator
         name: (identifier) @name
         value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property)]?) @definition.variable)
     (variable_declaration
       (variable_declarator
         name: (identifier) @name
         value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property)]?) @definition.variable)
   ]))

(program
  (lexical_declaration
    "const"
    (variable_declarator
      name: (identifier) @name
      value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property)] @_value) @definition.constant)
  (#not-match? @_value "^require[ \t]*\\("))

(program
  [
    (lexical_declaration
      "let"
      (variable_declarator
        name: (identifier) @name
        value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property)]? @_value) @definition.variable)
    (variable_declaration
      (variable_declarator
        name: (identifier) @name
        value: [(number) (string) (template_string) (true) (false) (null) (undefined) (array) (object) (call_expression) (new_expression) (member_expression) (subscript_expression) (identifier) (binary_expression) (unary_expression) (ternary_expression) (regex) (await_expression) (parenthesized_expression) (sequence_expression) (update_expression) (assignment_expression) (augmented_assignment_expression) (jsx_element) (jsx_self_closing_element) (yield_expression) (this) (super) (meta_property)]? @_value) @definition.variable)
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

; ---- JSX: <Component /> renders (calls) a component; lower-case tags are HTML elements ---------

((jsx_opening_element name: (identifier) @name) @reference.call
 (#match? @name "^[A-Z]"))

((jsx_self_closing_element name: (identifier) @name) @reference.call
 (#match? @name "^[A-Z]"))

(jsx_opening_element name: (member_expression property: (property_identifier) @name)) @reference.call
(jsx_self_closing_element name: (member_expression property: (property_identifier) @name)) @reference.call
