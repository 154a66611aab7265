; One match per opened or included module:
;   @import on the statement, @import.module on the module path.
; OCaml opens whole modules: there is no @import.name. Modules are found by file name
; (module Foo_bar is foo_bar.ml) by the build system, not by a path in the source.
;   open Printf / open! Stdlib / include Pricing   -> module Printf / Stdlib / Pricing
;   let open List in ... / List.(...)              -> not imports (local opens)

(open_module module: (module_path) @import.module) @import

(include_module module: (module_path) @import.module) @import
