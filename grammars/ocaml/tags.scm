; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it
;   (`(** ... *)` doc comments); @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; `let` bindings with parameters or a `fun`/`function` body are functions (also local ones);
; other `let`s at the top of a structure are variables. Module types are interfaces; record
; types structs, variant types enums (their constructors constructors), other types types;
; exceptions types; classes classes with methods and fields (instance variables).
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `+` form and a plain form; the first wins.)

((comment)* @doc
 .
 (module_definition
   (module_binding (module_name) @name) @definition.module))

((comment)* @doc
 .
 (module_type_definition (module_type_name) @name) @definition.interface)

((comment)* @doc
 .
 (type_definition
   (type_binding name: (type_constructor) @name body: (record_declaration)) @definition.struct))

((comment)* @doc
 .
 (type_definition
   (type_binding name: (type_constructor) @name body: (variant_declaration)) @definition.enum))

((comment)* @doc
 .
 (type_definition
   [
     (type_binding name: (type_constructor) @name !body)
     (type_binding name: (type_constructor) @name body: [(type_constructor_path) (constructed_type) (tuple_type) (aliased_type) (type_variable) (any_type) (hash_type) (object_type) (polymorphic_variant_type) (package_type) (parenthesized_type) (local_open_type) (extension) (quoted_extension) (kind_annotated_type_variable) (function_type)])
   ] @definition.type))

((comment)* @doc
 .
 (exception_definition (constructor_declaration (constructor_name) @name)) @definition.type)

(variant_declaration (constructor_declaration (constructor_name) @name) @definition.constructor)

(field_declaration (field_name) @name) @definition.field

((comment)* @doc
 .
 (value_definition
   [
     (let_binding pattern: (value_name) @name (parameter))
     (let_binding pattern: (value_name) @name body: [(fun_expression) (function_expression)])
   ] @definition.function))

((comment)* @doc
 .
 (external (value_name) @name) @definition.function)

((comment)* @doc
 .
 (value_specification (value_name) @name type: (function_type)) @definition.function)

((comment)* @doc
 .
 (value_specification (value_name) @name type: [(type_constructor_path) (constructed_type) (tuple_type) (aliased_type) (type_variable) (any_type) (hash_type) (object_type) (polymorphic_variant_type) (package_type) (parenthesized_type) (local_open_type) (extension) (quoted_extension) (kind_annotated_type_variable)]) @definition.variable)

(compilation_unit
  (comment)+ @doc
  .
  (value_definition (let_binding pattern: (value_name) @name) @definition.variable)
  (#not-match? @definition.variable "^[a-z_][A-Za-z0-9_']*[ \t\n]+[^=: \t\n]")
  (#not-match? @definition.variable "^[^=]*=[ \t\n]*(fun|function)([ \t\n]|$)"))

(structure
  (comment)+ @doc
  .
  (value_definition (let_binding pattern: (value_name) @name) @definition.variable)
  (#not-match? @definition.variable "^[a-z_][A-Za-z0-9_']*[ \t\n]+[^=: \t\n]")
  (#not-match? @definition.variable "^[^=]*=[ \t\n]*(fun|function)([ \t\n]|$)"))

(compilation_unit
  (value_definition (let_binding pattern: (value_name) @name) @definition.variable)
  (#not-match? @definition.variable "^[a-z_][A-Za-z0-9_']*[ \t\n]+[^=: \t\n]")
  (#not-match? @definition.variable "^[^=]*=[ \t\n]*(fun|function)([ \t\n]|$)"))

(structure
  (value_definition (let_binding pattern: (value_name) @name) @definition.variable)
  (#not-match? @definition.variable "^[a-z_][A-Za-z0-9_']*[ \t\n]+[^=: \t\n]")
  (#not-match? @definition.variable "^[^=]*=[ \t\n]*(fun|function)([ \t\n]|$)"))

((comment)* @doc
 .
 [
   (class_definition (class_binding (class_name) @name) @definition.class)
   (class_type_definition (class_type_binding (class_type_name) @name) @definition.class)
 ])

((comment)* @doc
 .
 [
   (method_definition (method_name) @name)
   (method_specification (method_name) @name)
 ] @definition.method)

((comment)* @doc
 .
 (instance_variable_definition (instance_variable_name) @name) @definition.field)

; ---- references ---------------------------------------------------------------------------------

(application_expression
  function: (value_path (value_name) @name)) @reference.call

(method_invocation (method_name) @name) @reference.call

(module_type_path (module_type_name) @name) @reference.implementation

[
  (class_path (class_name) @name)
  (class_type_path (class_type_name) @name)
] @reference.class

(type_constructor_path (type_constructor) @name) @reference.type
