; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the Haddock comments
;   before it; @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; A function is defined by its type signature; a function without one by its first equation
; (an equation whose previous sibling is not a signature or an equation of the same name).
; Signatures of a function type are functions, others constants. `data` types are structs,
; `newtype`s and `type` synonyms types, type classes interfaces (their methods functions), an
; `instance` an impl named after the instance type (the class is an implementation reference);
; data constructors are constructors, record fields fields.

((haddock)* @doc
 .
 (header module: (module) @name) @definition.module)

; the doc of the first declaration sits at the end of the import list
((imports (haddock) @doc .)
 .
 (declarations
   .
   (signature name: (variable) @name type: [(function) (linear_function) (context) (forall) (forall_required) (implicit_parameter)]) @definition.function))

((imports (haddock) @doc .)
 .
 (declarations
   .
   (signature name: (variable) @name type: [(apply) (infix) (list) (literal) (name) (parens) (prefix_id) (prefix_list) (prefix_tuple) (promoted) (qualified) (quasiquote) (splice) (star) (tuple) (unboxed_tuple) (unboxed_unit) (unit) (variable) (wildcard)]) @definition.constant))

((haddock)* @doc
 .
 (signature name: (variable) @name type: [(function) (linear_function) (context) (forall) (forall_required) (implicit_parameter)]) @definition.function)

((haddock)* @doc
 .
 (signature name: (variable) @name type: [(apply) (infix) (list) (literal) (name) (parens) (prefix_id) (prefix_list) (prefix_tuple) (promoted) (qualified) (quasiquote) (splice) (star) (tuple) (unboxed_tuple) (unboxed_unit) (unit) (variable) (wildcard)]) @definition.constant)

; equations without a signature: the first of a run
((_ name: (_) @_previous)
 .
 [
   (function name: (variable) @name)
   (bind name: (variable) @name)
 ] @definition.function
 (#not-eq? @_previous @name))

((haddock) @doc
 .
 [
   (function name: (variable) @name)
   (bind name: (variable) @name)
 ] @definition.function)

(_
  .
  [
    (function name: (variable) @name)
    (bind name: (variable) @name)
  ] @definition.function)

((haddock)* @doc
 .
 (data_type name: (name) @name) @definition.struct)

((haddock)* @doc
 .
 [
   (newtype name: (name) @name)
   (type_synonym name: (name) @name)
   (type_family name: (name) @name)
 ] @definition.type)

((haddock)* @doc
 .
 (class name: (name) @name) @definition.interface)

((haddock)* @doc
 .
 (instance
   patterns: (type_patterns . [
     (name) @name
     (apply constructor: (name) @name)
     (parens (apply constructor: (name) @name))
   ])) @definition.impl)

[
  (data_constructor constructor: [(prefix name: (constructor) @name) (record name: (constructor) @name) (infix operator: (constructor_operator) @name)])
  (newtype_constructor name: (constructor) @name)
] @definition.constructor

(field name: (field_name (variable) @name)) @definition.field

; ---- references ---------------------------------------------------------------------------------

(instance name: (name) @name) @reference.implementation

(apply
  function: [
    (variable) @name
    (qualified id: (variable) @name)
  ]) @reference.call

(apply
  function: [
    (constructor) @name
    (qualified id: (constructor) @name)
  ]) @reference.class

(name) @name @reference.type
