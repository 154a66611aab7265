; One match per import spec:
;   @import on the spec, @import.module on the import path (with its quotes),
;   @import.alias on the local package name when one is given (also `_` and `.`).
; Go imports whole packages: there is no @import.name; the package is bound to its declared
; name (usually the path's last segment) unless an alias is given.
;   import "fmt"         -> module "fmt"
;   import f "fmt"       -> module "fmt", alias f

(import_spec
  name: [(package_identifier) (blank_identifier) (dot)]? @import.alias
  path: (_) @import.module) @import
