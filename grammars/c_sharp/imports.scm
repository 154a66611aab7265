; One match per using directive:
;   @import on the directive, @import.module on the namespace or type, @import.alias on an alias.
; C# imports whole namespaces: there is no @import.name.
;   using System.Text;                -> module System.Text   (every type of the namespace)
;   using static System.Math;         -> module System.Math   (every static member)
;   using J = System.Text.Json.JsonSerializer;  -> module System.Text.Json.JsonSerializer, alias J
;   global using X;                   -> module X

(using_directive
  name: (identifier)? @import.alias
  [(identifier) (qualified_name)] @import.module .) @import
