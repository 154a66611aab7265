; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the docstring (or
;   comments) before it; @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad reference patterns come last.
; `f(x) = ...` is a function like `function f(x) ... end`; `Base.show(...)` defines `show`.
; Abstract types are types, (mutable) structs structs, `@enum E a b` an enum with constants;
; module-level `const`s are constants, other module-level assignments variables.

((string_literal)* @doc
 .
 (module_definition name: (identifier) @name) @definition.module)

((string_literal)* @doc
 .
 (function_definition
   (signature
     [
       (call_expression . [(identifier) @name (field_expression (identifier) @name .)])
       (where_expression . (call_expression . [(identifier) @name (field_expression (identifier) @name .)]))
       (typed_expression . (call_expression . [(identifier) @name (field_expression (identifier) @name .)]))
       (where_expression . (typed_expression . (call_expression . [(identifier) @name (field_expression (identifier) @name .)])))
     ])) @definition.function)

((string_literal)* @doc
 .
 (assignment
   .
   [
     (call_expression . [(identifier) @name (field_expression (identifier) @name .)])
     (where_expression . (call_expression . [(identifier) @name (field_expression (identifier) @name .)]))
     (typed_expression . (call_expression . [(identifier) @name (field_expression (identifier) @name .)]))
   ]
   (operator) @_eq) @definition.function
 (#eq? @_eq "="))

((string_literal)* @doc
 .
 (macro_definition
   (signature (call_expression . (identifier) @name))) @definition.macro)

((string_literal)* @doc
 .
 (struct_definition
   (type_head
     [
       (identifier) @name
       (parametrized_type_expression . (identifier) @name)
       (binary_expression . [(identifier) @name (parametrized_type_expression . (identifier) @name)])
     ])) @definition.struct)

((string_literal)* @doc
 .
 (abstract_definition
   (type_head
     [
       (identifier) @name
       (parametrized_type_expression . (identifier) @name)
       (binary_expression . [(identifier) @name (parametrized_type_expression . (identifier) @name)])
     ])) @definition.type)

(struct_definition
  [
    (typed_expression . (identifier) @name)
    (identifier) @name
  ] @definition.field)

((macrocall_expression
   (macro_identifier (identifier) @_enum)
   (macro_argument_list . [(identifier) @name (typed_expression . (identifier) @name)])) @definition.enum
 (#eq? @_enum "enum"))

((macrocall_expression
   (macro_identifier (identifier) @_enum)
   (macro_argument_list . (_) (identifier) @name @definition.constant))
 (#eq? @_enum "enum"))

((string_literal)* @doc
 .
 (const_statement
   (assignment . [(identifier) @name (typed_expression . (identifier) @name)])) @definition.constant)

(module_definition
  (assignment . [(identifier) @name (typed_expression . (identifier) @name)]) @definition.variable)

(source_file
  (assignment . [(identifier) @name (typed_expression . (identifier) @name)]) @definition.variable)

; ---- references ---------------------------------------------------------------------------------

((call_expression
   .
   [
     (identifier) @name
     (field_expression (identifier) @name .)
   ]) @reference.call
 (#not-eq? @name "include"))

(macrocall_expression
  (macro_identifier (identifier) @name)) @reference.call

(binary_expression
  (_)
  .
  (operator) @_subtype
  .
  [(identifier) @name (parametrized_type_expression . (identifier) @name)] @reference.class
  (#eq? @_subtype "<:"))

(typed_expression
  (_)
  .
  [
    (identifier) @name
    (parametrized_type_expression . (identifier) @name)
    (field_expression (identifier) @name .)
  ] @reference.type .)

(curly_expression (identifier) @name @reference.type)
