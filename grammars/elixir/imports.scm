; One match per aliased, imported, required or used module:
;   @import on the call, @import.module on the module, @import.name on a module of a multi-alias,
;   @import.alias on an `as:` alias.
; Elixir imports whole modules: `import M, only: [f: 1]` is the module M (the arity keywords are
; not names).
;   alias Inventory.Registry            -> module Inventory.Registry   (bound to Registry)
;   alias Inventory.Registry, as: Reg   -> module Inventory.Registry, alias Reg
;   alias Inventory.{Shelf, Pricing}    -> module Inventory, name Shelf; module Inventory, name Pricing
;   import Enum / require Logger / use GenServer  -> module Enum / Logger / GenServer

((call
   target: (identifier) @_kw
   (arguments . (alias) @import.module .)) @import
 (#any-of? @_kw "alias" "import" "require" "use"))

((call
   target: (identifier) @_kw
   (arguments
     .
     (alias) @import.module
     .
     (keywords (pair key: (keyword) @_as value: (alias) @import.alias)))) @import
 (#any-of? @_kw "alias" "import" "require" "use")
 (#match? @_as "^as:"))

((call
   target: (identifier) @_kw
   (arguments . (alias) @import.module . (keywords))) @import
 (#any-of? @_kw "alias" "import" "require" "use")
 (#not-match? @import "[ ,]as:"))

((call
   target: (identifier) @_kw
   (arguments
     .
     (dot left: (alias) @import.module right: (tuple (alias) @import.name)))) @import
 (#eq? @_kw "alias"))
