; inherits: javascript
; The same functions as JavaScript's documented_functions.scm, whose patterns come first (its
; node names hold in this grammar too): see the comment there.
