; One match per sourced file:
;   @import on the command, @import.module on the file argument (with its quotes; it may hold
;   `$VAR` expansions, which the index cannot resolve).
;   source ./lib.sh / . "$DIR/lib.sh"   -> module ./lib.sh / $DIR/lib.sh

((command
   name: (command_name (word) @_source)
   .
   argument: [(word) (string) (raw_string) (concatenation)] @import.module) @import
 (#any-of? @_source "source" "."))
