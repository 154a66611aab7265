; One match per imported library or name:
;   @import on the directive, @import.module on the URI (with its quotes), @import.name on a
;   name after `show`, @import.alias on the `as` prefix.
; Names after `hide` are not imported: such a directive imports the library only.
;   import 'dart:math';                      -> module dart:math
;   import 'dart:convert' show jsonEncode;   -> module dart:convert, name jsonEncode
;   import 'package:a/b.dart' as b;          -> module package:a/b.dart, alias b
;   export 'src/item.dart'; / part 'x.g.dart';  -> module src/item.dart / x.g.dart

((import_specification
   (configurable_uri (uri (string_literal) @import.module))
   .
   ["as" ";" (combinator "hide")]) @import
 (#not-match? @import "[ \t\n]as[ \t\n]"))

(import_specification
  (configurable_uri (uri (string_literal) @import.module))
  "as"
  .
  (identifier) @import.alias
  .
  ";") @import

(import_specification
  (configurable_uri (uri (string_literal) @import.module))
  "as"?
  .
  (identifier)? @import.alias
  (combinator "show" (identifier) @import.name)) @import

(library_export
  (configurable_uri (uri (string_literal) @import.module))) @import

(part_directive
  (uri (string_literal) @import.module)) @import
