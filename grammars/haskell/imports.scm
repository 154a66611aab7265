; One match per imported name:
;   @import on the declaration, @import.module on the module, @import.name on an imported
;   name (a type, class, function or operator), @import.alias on the `as` name.
; Names after `hiding` are not imported: such a declaration imports the module only.
;   import Data.List (sortOn)                -> module Data.List, name sortOn
;   import qualified Data.Map as Map         -> module Data.Map, alias Map
;   import Data.Map as M (fromList)          -> module Data.Map, name fromList, alias M
;   import Data.Maybe / import P hiding (x)  -> module Data.Maybe / P

((import
   module: (module) @import.module
   alias: (module)? @import.alias
   !names) @import)

((import
   module: (module) @import.module
   alias: (module)? @import.alias
   names: (import_list)) @import
 (#match? @import "[)][ \t]*hiding[ \t]*[(]|^import[^(]*hiding"))

((import
   module: (module) @import.module
   alias: (module)? @import.alias
   names: (import_list
     name: (import_name [
       (variable) @import.name
       (name) @import.name
       (prefix_id (operator) @import.name)
     ]))) @import
 (#not-match? @import "^import[^(]*hiding"))
