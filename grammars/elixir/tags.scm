; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on its documentation
;   (the `@doc`/`@moduledoc` string, or comments before it); @reference.<kind> on a use, @name on
;   the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad call pattern comes last.
; Everything in Elixir is a call: `defmodule`/`defprotocol` define modules, `defimpl P, for: T` an
; impl named T (P is an implementation reference), `def`/`defp`/`defdelegate`/`defguard` functions
; (one per clause), `defmacro` macros, `@type` types, other module attributes (`@max 100`)
; constants.

((comment)* @doc
 .
 (call
   target: (identifier) @_kw
   (arguments . (alias) @name)
   (do_block
     .
     (unary_operator operand: (call target: (identifier) @_md (arguments . [(string) (sigil)] @doc)))?)) @definition.module
 (#any-of? @_kw "defmodule" "defprotocol")
 (#eq? @_md "moduledoc"))

((comment)* @doc
 .
 (call
   target: (identifier) @_kw
   (arguments . (alias) @name)) @definition.module
 (#any-of? @_kw "defmodule" "defprotocol"))

(call
  target: (identifier) @_kw
  (arguments
    .
    (alias) @_protocol
    (keywords (pair key: (keyword) @_for value: (alias) @name))) @definition.impl
  (#eq? @_kw "defimpl")
  (#match? @_for "^for:"))

; @doc "..." (and @spec ...) before a def
((unary_operator operand: (call target: (identifier) @_doc (arguments . [(string) (sigil)] @doc)))
 .
 (unary_operator)*
 .
 (call
   target: (identifier) @_kw
   (arguments
     .
     [
       (identifier) @name
       (call target: (identifier) @name)
       (binary_operator left: (call target: (identifier) @name) operator: "when")
     ])) @definition.function
 (#eq? @_doc "doc")
 (#any-of? @_kw "def" "defp" "defdelegate" "defguard" "defguardp" "defn" "defnp"))

((unary_operator operand: (call target: (identifier) @_doc (arguments . [(string) (sigil)] @doc)))
 .
 (unary_operator)*
 .
 (call
   target: (identifier) @_kw
   (arguments
     .
     [
       (identifier) @name
       (call target: (identifier) @name)
       (binary_operator left: (call target: (identifier) @name) operator: "when")
     ])) @definition.macro
 (#eq? @_doc "doc")
 (#any-of? @_kw "defmacro" "defmacrop"))

((comment)* @doc
 .
 (call
   target: (identifier) @_kw
   (arguments
     .
     [
       (identifier) @name
       (call target: (identifier) @name)
       (binary_operator left: (call target: (identifier) @name) operator: "when")
     ])) @definition.function
 (#any-of? @_kw "def" "defp" "defdelegate" "defguard" "defguardp" "defn" "defnp"))

((comment)* @doc
 .
 (call
   target: (identifier) @_kw
   (arguments
     .
     [
       (identifier) @name
       (call target: (identifier) @name)
       (binary_operator left: (call target: (identifier) @name) operator: "when")
     ])) @definition.macro
 (#any-of? @_kw "defmacro" "defmacrop"))

((unary_operator
   operator: "@"
   operand: (call
     target: (identifier) @_type
     (arguments
       (binary_operator
         left: [(identifier) @name (call target: (identifier) @name)]
         operator: "::")))) @definition.type
 (#any-of? @_type "type" "typep" "opaque"))

((unary_operator
   operator: "@"
   operand: (call target: (identifier) @name (arguments))) @definition.constant
 (#not-match? @name "^(doc|moduledoc|typedoc|spec|type|typep|opaque|callback|macrocallback|impl|behaviour|derive|enforce_keys|compile|dialyzer|external_resource|on_load|on_definition|after_compile|before_compile|deprecated|since|optional_callbacks|vsn|file|tag|moduletag|describetag)$"))

; ---- references ---------------------------------------------------------------------------------

(call
  target: (identifier) @_kw
  (arguments . (alias) @name @reference.implementation)
  (#eq? @_kw "defimpl"))

((call target: (identifier) @name) @reference.call
 (#not-match? @name "^(def|defp|defmodule|defprotocol|defimpl|defmacro|defmacrop|defdelegate|defguard|defguardp|defstruct|defexception|defoverridable|defn|defnp|alias|import|require|use|quote|unquote|unquote_splicing|if|unless|case|cond|with|for|fn|try|receive|raise|reraise|throw|super|doc|moduledoc|typedoc|spec|type|typep|opaque|callback|macrocallback|impl|behaviour|derive)$"))

; `item.name` (no parentheses) is a map field, not a call
(call target: (dot right: (identifier) @name) (arguments)) @reference.call
