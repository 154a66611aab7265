; One match per import declaration:
;   @import on the declaration, @import.module on the package (or class) path,
;   @import.name on the imported name, @import.alias on a local alias (Java has none).
; Choice: the module is the path without its last segment, the name is the last segment:
;   import a.b.C;            -> module a.b,   name C
;   import a.b.*;            -> module a.b,   name *
;   import static a.b.C.m;   -> module a.b.C, name m
;   import static a.b.C.*;   -> module a.b.C, name *

(import_declaration
  (scoped_identifier
    scope: (_) @import.module
    name: (identifier) @import.name)
  .) @import

(import_declaration
  (_) @import.module
  .
  (asterisk) @import.name) @import

(import_declaration
  (identifier) @import.module
  .) @import
