; One match per @import:
;   @import on the statement, @import.module on the URL (with its quotes).
;   @import "reset.css";  @import url("dark.css") screen;  @import url(fonts.css);

(import_statement
  .
  [
    (string_value) @import.module
    (call_expression
      (function_name) @_url
      (arguments . [(string_value) (plain_value)] @import.module .))
  ]
  (#eq? @_url "url")) @import
