; Keys as fields, in the shared capture vocabulary:
;   @definition.field on the pair, @name on the key's content (without its quotes).
; Only the top two levels of the top-level object (a package.json's "scripts" and their names, a
; tsconfig's "compilerOptions" and theirs): deeper keys and keys inside arrays would flood the
; workspace symbols of data files.

(document
  (object
    (pair key: (string (string_content) @name)) @definition.field))

(document
  (object
    (pair
      value: (object
        (pair key: (string (string_content) @name)) @definition.field))))
