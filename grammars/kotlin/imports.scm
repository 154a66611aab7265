; One match per import directive:
;   @import on the directive, @import.module on the package path, @import.name on the imported
;   name (or `*`), @import.alias on the `as` alias.
; The grammar gives a flat path (one node per segment), so @import.module captures the first
; and the last segment of the package and stands for the source text they span.
; Choice (as for Java): the module is the path without its last segment, the name is the last
; segment:
;   import kotlin.math.max           -> module kotlin.math, name max
;   import a.b.Currency as Money     -> module a.b, name Currency, alias Money
;   import java.util.*               -> module java.util, name *
;   import foo                       -> module foo

((import
  (qualified_identifier
    .
    (identifier) @import.module
    (identifier) @import.module
    .
    (identifier) @import.name
    .)
  .
  (identifier)? @import.alias) @import
 (#not-match? @import "[*]"))

((import
  (qualified_identifier
    .
    (identifier) @import.module
    .
    (identifier) @import.name
    .)
  .
  (identifier)? @import.alias) @import
 (#not-match? @import "[*]"))

((import
  (qualified_identifier
    .
    (identifier) @import.module
    .)
  .
  (identifier)? @import.alias) @import
 (#not-match? @import "[*]"))

(import
  (qualified_identifier) @import.module
  "*" @import.name) @import
