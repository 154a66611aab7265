; One match per import directive:
;   @import on the directive, @import.module on the imported path, @import.name on `*`,
;   @import.alias on the `as` alias.
; The grammar gives a flat path (no node for "all but the last segment"), so, as in Python's
; `import a.b.c`, the module is the whole path and its last segment is the bound name:
;   import kotlin.math.max           -> module kotlin.math.max   (binds max)
;   import a.b.Currency as Money     -> module a.b.Currency, alias Money
;   import java.util.*               -> module java.util, name *

((import
   (qualified_identifier) @import.module
   .
   (identifier)? @import.alias
   .) @import
 (#not-match? @import "[*]"))

(import
  (qualified_identifier) @import.module
  "*" @import.name) @import
