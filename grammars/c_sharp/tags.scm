; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference patterns come last.
; Records are classes (`record struct` too), delegates are types, enum members and `const`
; fields are constants, events are fields, indexers are properties named `this`.

((comment)* @doc
 .
 [
   (class_declaration name: (identifier) @name)
   (record_declaration name: (identifier) @name)
 ] @definition.class)

((comment)* @doc
 .
 (interface_declaration name: (identifier) @name) @definition.interface)

((comment)* @doc
 .
 (struct_declaration name: (identifier) @name) @definition.struct)

((comment)* @doc
 .
 (enum_declaration name: (identifier) @name) @definition.enum)

((comment)* @doc
 .
 (enum_member_declaration name: (identifier) @name) @definition.constant)

((comment)* @doc
 .
 (delegate_declaration name: (identifier) @name) @definition.type)

((comment)* @doc
 .
 [
   (namespace_declaration name: [(identifier) (qualified_name)] @name)
   (file_scoped_namespace_declaration name: [(identifier) (qualified_name)] @name)
 ] @definition.namespace)

((comment)* @doc
 .
 (constructor_declaration name: (identifier) @name) @definition.constructor)

((comment)* @doc
 .
 [
   (method_declaration name: (identifier) @name)
   (destructor_declaration name: (identifier) @name)
   (local_function_statement name: (identifier) @name)
 ] @definition.method)

((comment)* @doc
 .
 (property_declaration name: (identifier) @name) @definition.property)

((comment)* @doc
 .
 (indexer_declaration "this" @name) @definition.property)

((comment)* @doc
 .
 (field_declaration
   (variable_declaration (variable_declarator name: (identifier) @name))) @definition.constant
 (#match? @definition.constant "^([A-Za-z]+[ \t\n]+)*const[ \t\n]"))

((comment)* @doc
 .
 (field_declaration
   (variable_declaration (variable_declarator name: (identifier) @name))) @definition.field
 (#not-match? @definition.field "^([A-Za-z]+[ \t\n]+)*const[ \t\n]"))

((comment)* @doc
 .
 [
   (event_field_declaration (variable_declaration (variable_declarator name: (identifier) @name)))
   (event_declaration name: (identifier) @name)
 ] @definition.field)

; record Pair(string First, string Second): the positional parameters are properties
(record_declaration
  (parameter_list (parameter name: (identifier) @name) @definition.property))

; ---- references ---------------------------------------------------------------------------------

(invocation_expression
  function: [
    (identifier) @name
    (generic_name . (identifier) @name)
    (member_access_expression name: (identifier) @name)
    (member_access_expression name: (generic_name . (identifier) @name))
  ]) @reference.call

(object_creation_expression
  type: [
    (identifier) @name
    (generic_name . (identifier) @name)
    (qualified_name name: (identifier) @name)
    (qualified_name name: (generic_name . (identifier) @name))
  ]) @reference.class

; base types: by .NET convention, `IName` is an interface
((base_list
   [
     (identifier) @name
     (generic_name . (identifier) @name)
     (qualified_name name: (identifier) @name)
   ] @reference.implementation)
 (#match? @name "^I[A-Z]"))

(base_list
  [
    (identifier) @name
    (generic_name . (identifier) @name)
    (qualified_name name: (identifier) @name)
  ] @reference.class)

(_ type: [(identifier) @name (qualified_name name: (identifier) @name)] @reference.type)
(_ returns: [(identifier) @name (qualified_name name: (identifier) @name)] @reference.type)
(generic_name . (identifier) @name @reference.type)
(type_argument_list (identifier) @name @reference.type)
