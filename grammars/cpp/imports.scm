; One match per #include or using-directive:
;   @import on the directive, @import.module on the header path with its quotes ("x.hpp" or
;   <x>; the index strips them) or on the namespace, @import.name on a name brought in.
;   #include "x.hpp"         -> module "x.hpp"
;   using namespace std::chrono;  -> module std::chrono   (every name of the namespace)
;   using std::string;       -> module std, name string
; C++20 `import` is not in this grammar version.

(preproc_include
  path: [(string_literal) (system_lib_string)] @import.module) @import

(using_declaration
  "namespace"
  [(identifier) (qualified_identifier)] @import.module) @import

((using_declaration
   (qualified_identifier
     scope: (_) @import.module
     name: (identifier) @import.name)) @import
 (#not-match? @import "^using[ \t\n]+namespace"))
