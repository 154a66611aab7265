; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins.
; `initialize` is the constructor; a top-level `def` is a function; `def self.x` and methods in `class << self` are methods;
; `include`/`extend`/`prepend Mod` are implementation references.

((comment)* @doc
 .
 (class
   name: [
     (constant) @name
     (scope_resolution name: (constant) @name)
   ]) @definition.class)

((comment)* @doc
 .
 (module
   name: [
     (constant) @name
     (scope_resolution name: (constant) @name)
   ]) @definition.module)

(body_statement
  (comment)+ @doc
  .
  (method name: (identifier) @name) @definition.constructor
  (#eq? @name "initialize"))

(body_statement
  (method name: (identifier) @name) @definition.constructor
  (#eq? @name "initialize"))

; a `def` at the top level is a function (a private method of Object)
(program
  (comment)+ @doc
  .
  (method name: (_) @name) @definition.function)

(program
  (method name: (_) @name) @definition.function)

; other `def`s (inside a class, module or block body) are methods
(body_statement
  (comment)+ @doc
  .
  (method name: (_) @name) @definition.method
  (#not-eq? @name "initialize"))

(body_statement
  (method name: (_) @name) @definition.method
  (#not-eq? @name "initialize"))

((comment)* @doc
 .
 (singleton_method name: (_) @name) @definition.method)

(alias name: (_) @name) @definition.method

((comment)* @doc
 .
 (assignment left: (constant) @name) @definition.constant)

; ---- references ---------------------------------------------------------------------------------

((call
   method: (identifier) @_verb
   arguments: (argument_list
     [
       (constant) @name
       (scope_resolution name: (constant) @name)
     ] @reference.implementation))
 (#any-of? @_verb "include" "extend" "prepend"))

(superclass
  [
    (constant) @name
    (scope_resolution name: (constant) @name)
  ] @reference.class)

; Item.new -> a class reference to Item
((call
   receiver: [
     (constant) @name
     (scope_resolution name: (constant) @name)
   ]
   method: (identifier) @_new) @reference.class
 (#eq? @_new "new"))

((call method: [(identifier) (constant)] @name) @reference.call
 (#not-match? @name "^(require|require_relative|load|include|extend|prepend|attr_reader|attr_writer|attr_accessor|private|protected|public|module_function)$"))
