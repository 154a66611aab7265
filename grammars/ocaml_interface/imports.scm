; One match per opened or included module signature:
;   @import on the statement, @import.module on the module path.
; OCaml opens whole modules: there is no @import.name (see grammars/ocaml/imports.scm).
;   open Printf / include module type of Foo  -> module Printf / -

(open_module_signature module: (_) @import.module) @import

(include_module_type module_type: (module_type_path) @import.module) @import
