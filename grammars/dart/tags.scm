; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the `///` comments
;   before it (annotations may sit between); @reference.<kind> on a use, @name on the name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; This grammar puts a function's signature and body side by side: the definition is the
; signature. Mixins are traits, an `extension E on T` an impl named T; functions in a class are
; functions (methods by nesting); getters/setters properties; constructors (also named and
; factory ones, named by their last identifier) constructors; `const`s constants; enum values
; constants. A call is a name followed by an argument selector.

((documentation_comment)* @doc
 .
 (annotation)*
 .
 (class_definition name: (identifier) @name) @definition.class)

((documentation_comment)* @doc
 .
 (annotation)*
 .
 (mixin_declaration (identifier) @name) @definition.trait)

((documentation_comment)* @doc
 .
 (annotation)*
 .
 (extension_declaration class: (type_identifier) @name) @definition.impl)

((documentation_comment)* @doc
 .
 (annotation)*
 .
 (enum_declaration name: (identifier) @name) @definition.enum)

(enum_constant name: (identifier) @name) @definition.constant

((documentation_comment)* @doc
 .
 (annotation)*
 .
 (type_alias . (type_identifier) @name) @definition.type)

; members: the doc comment precedes the method_signature / declaration wrapper
((documentation_comment)* @doc
 .
 (annotation)*
 .
 [
   (method_signature (constructor_signature (identifier) @name . (formal_parameter_list)))
   (method_signature (factory_constructor_signature (identifier) @name . (formal_parameter_list)))
   (declaration (constructor_signature (identifier) @name . (formal_parameter_list)))
   (declaration (factory_constructor_signature (identifier) @name . (formal_parameter_list)))
   (declaration (redirecting_factory_constructor_signature (identifier) @name . (formal_parameter_list)))
   (declaration (constant_constructor_signature (identifier) @name . (formal_parameter_list)))
 ] @definition.constructor)

((documentation_comment)* @doc
 .
 (annotation)*
 .
 [
   (method_signature [(getter_signature name: (identifier) @name) (setter_signature name: (identifier) @name)])
   (declaration [(getter_signature name: (identifier) @name) (setter_signature name: (identifier) @name)])
 ] @definition.property)

((documentation_comment)* @doc
 .
 (annotation)*
 .
 [
   (method_signature (function_signature name: (identifier) @name) @definition.function)
   (declaration (function_signature name: (identifier) @name) @definition.function)
 ])

; top-level (and local) functions
((documentation_comment)* @doc
 .
 (annotation)*
 .
 (function_signature name: (identifier) @name) @definition.function)

; fields and top-level variables
((documentation_comment)* @doc
 .
 (annotation)*
 .
 (declaration
   (const_builtin)
   (static_final_declaration_list (static_final_declaration (identifier) @name))) @definition.constant)

((documentation_comment)* @doc
 .
 (annotation)*
 .
 (declaration
   [
     (static_final_declaration_list (static_final_declaration (identifier) @name))
     (initialized_identifier_list (initialized_identifier (identifier) @name))
   ]) @definition.field
 (#not-match? @definition.field "^([a-z]+[ \t\n]+)*const[ \t\n]"))

; top-level `const`s are constants, other top-level variables variables
(program
  (const_builtin)
  .
  (static_final_declaration_list (static_final_declaration (identifier) @name) @definition.constant))

(program
  (final_builtin)
  .
  (static_final_declaration_list (static_final_declaration (identifier) @name) @definition.variable))

(program
  (initialized_identifier_list (initialized_identifier (identifier) @name) @definition.variable))

; ---- references ---------------------------------------------------------------------------------

((identifier) @name @reference.call
 .
 (selector (argument_part)))

((selector (unconditional_assignable_selector (identifier) @name @reference.call))
 .
 (selector (argument_part)))

(superclass . (type_identifier) @name @reference.class)
(mixins (type_identifier) @name @reference.implementation)
(interfaces (type_identifier) @name @reference.implementation)

(type_identifier) @name @reference.type
