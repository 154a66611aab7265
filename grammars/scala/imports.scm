; One match per imported name:
;   @import on the declaration, @import.module on the package path, @import.name on the
;   imported member (`_`, `*` and `given` included), @import.alias on its local name.
; The grammar gives a flat path (one node per segment), so @import.module captures the first
; and the last segment of the package and stands for the source text they span.
; Choice: the module is the path without its last segment, the name is the last segment:
;   import scala.collection.mutable        -> module scala.collection, name mutable
;   import scala.math.{max, min => lower}  -> module scala.math, name max; name min, alias lower
;   import java.util._                     -> module java.util, name _
;   import a.b as c (Scala 3)              -> module a, name b, alias c
;   import x                               -> module x

; a.b.C / a.b / x
(import_declaration
  .
  (identifier) @import.module
  (identifier) @import.module
  .
  (identifier) @import.name
  .) @import

(import_declaration
  .
  (identifier) @import.module
  .
  (identifier) @import.name
  .) @import

(import_declaration
  .
  (identifier) @import.module
  .) @import

; a.b.{c, d => e, _}
(import_declaration
  .
  (identifier) @import.module
  (identifier) @import.module
  .
  (namespace_selectors
    [
      (identifier) @import.name
      (arrow_renamed_identifier name: (identifier) @import.name alias: (_) @import.alias)
      (as_renamed_identifier name: (identifier) @import.name alias: (_) @import.alias)
      (namespace_wildcard) @import.name
    ])) @import

(import_declaration
  .
  (identifier) @import.module
  .
  (namespace_selectors
    [
      (identifier) @import.name
      (arrow_renamed_identifier name: (identifier) @import.name alias: (_) @import.alias)
      (as_renamed_identifier name: (identifier) @import.name alias: (_) @import.alias)
      (namespace_wildcard) @import.name
    ])) @import

; a.b._ / a.b.*
(import_declaration
  .
  (identifier) @import.module
  (identifier) @import.module
  .
  (namespace_wildcard) @import.name) @import

(import_declaration
  .
  (identifier) @import.module
  .
  (namespace_wildcard) @import.name) @import

; a.b.c as d
(import_declaration
  .
  (identifier) @import.module
  (identifier) @import.module
  .
  (as_renamed_identifier name: (identifier) @import.name alias: (_) @import.alias)) @import

(import_declaration
  .
  (identifier) @import.module
  .
  (as_renamed_identifier name: (identifier) @import.name alias: (_) @import.alias)) @import
