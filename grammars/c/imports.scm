; One match per #include:
;   @import on the directive, @import.module on the path with its quotes ("x.h" or <x.h>; the
;   index strips them; a quoted path is relative to the including file first).
; C has no imported names nor aliases.

(preproc_include
  path: [(string_literal) (system_lib_string)] @import.module) @import
