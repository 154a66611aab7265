; Tables and keys, in the shared capture vocabulary:
;   @definition.module on a table (`[a.b]`, `[[a]]`), @name on its (dotted) key;
;   @definition.field on a key/value pair at the top or directly in a table, @name on its key.

(table [(bare_key) (dotted_key) (quoted_key)] @name) @definition.module

(table_array_element [(bare_key) (dotted_key) (quoted_key)] @name) @definition.module

(document (pair . [(bare_key) (dotted_key) (quoted_key)] @name) @definition.field)

(table (pair . [(bare_key) (dotted_key) (quoted_key)] @name) @definition.field)

(table_array_element (pair . [(bare_key) (dotted_key) (quoted_key)] @name) @definition.field)
