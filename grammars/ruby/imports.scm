; One match per require:
;   @import on the call, @import.module on the required path (with its quotes).
; Ruby requires files, not names: there is no @import.name. A `require_relative` path is
; relative to the requiring file; a `require` path is looked up on the load path (lib/, ...).
;   require "json"              -> module "json"
;   require_relative "../shelf" -> module "../shelf"

((call
   method: (identifier) @_verb
   arguments: (argument_list . (string) @import.module .)) @import
 (#any-of? @_verb "require" "require_relative" "load" "autoload"))

((call
   method: (identifier) @_verb
   arguments: (argument_list . (simple_symbol) . (string) @import.module .)) @import
 (#eq? @_verb "autoload"))
