; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on its docstring;
;   @reference.<kind> on a use, @name on the referenced name.
; Methods are found by nesting (a function inside a class), not by a separate pattern.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins
; (the `type X = ...` definition before the broad type reference pattern).

(class_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?)) @definition.class

(function_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?)) @definition.function

(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.variable))

(class_definition
  body: (block
    (expression_statement
      (assignment
        left: (identifier) @name) @definition.field)))

(call
  function: [
    (identifier) @name
    (attribute attribute: (identifier) @name)
  ]) @reference.call

(type_alias_statement
  left: (type [(identifier) @name (generic_type (identifier) @name)])) @definition.type

(class_definition
  superclasses: (argument_list
    [
      (identifier) @name
      (attribute attribute: (identifier) @name)
      (subscript value: [(identifier) @name (attribute attribute: (identifier) @name)])
    ] @reference.class))

(type (identifier) @name) @reference.type
