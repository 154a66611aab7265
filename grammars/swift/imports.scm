; One match per import declaration:
;   @import on the declaration, @import.module on the module, @import.name on a single symbol.
; The grammar gives a flat path (one node per segment), so @import.module may capture the first
; and the last segment of a path and then stands for the source text they span.
;   import Foundation                 -> module Foundation
;   import Darwin.C                   -> module Darwin.C        (a submodule)
;   import struct Darwin.C.size_t     -> module Darwin.C, name size_t
;   @testable import Kit              -> module Kit

((import_declaration
   (identifier) @import.module) @import
 (#not-match? @import "import[ \t]+(typealias|struct|class|enum|protocol|let|var|func)[ \t]"))

((import_declaration
   (identifier
     .
     (simple_identifier) @import.module
     (simple_identifier) @import.module
     .
     (simple_identifier) @import.name
     .)) @import
 (#match? @import "import[ \t]+(typealias|struct|class|enum|protocol|let|var|func)[ \t]"))

((import_declaration
   (identifier
     .
     (simple_identifier) @import.module
     .
     (simple_identifier) @import.name
     .)) @import
 (#match? @import "import[ \t]+(typealias|struct|class|enum|protocol|let|var|func)[ \t]"))
