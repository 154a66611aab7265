; One match per require:
;   @import on the statement, @import.module on the module name (with its quotes),
;   @import.alias on the variable it is bound to.
; Lua requires whole modules: there is no @import.name.
;   local json = require("dkjson")   -> module "dkjson", alias json
;   json = require "dkjson"          -> module "dkjson", alias json
;   require "strict"                 -> module "strict"

(variable_declaration
  (assignment_statement
    (variable_list . name: (identifier) @import.alias .)
    (expression_list
      .
      value: (function_call
        name: (identifier) @_require
        arguments: (arguments . (string) @import.module .))
      .))
  (#eq? @_require "require")) @import

(chunk
  (assignment_statement
    (variable_list . name: (identifier) @import.alias .)
    (expression_list
      .
      value: (function_call
        name: (identifier) @_require
        arguments: (arguments . (string) @import.module .))
      .)) @import
  (#eq? @_require "require"))

(block
  (assignment_statement
    (variable_list . name: (identifier) @import.alias .)
    (expression_list
      .
      value: (function_call
        name: (identifier) @_require
        arguments: (arguments . (string) @import.module .))
      .)) @import
  (#eq? @_require "require"))

(chunk
  (function_call
    name: (identifier) @_require
    arguments: (arguments . (string) @import.module .)) @import
  (#eq? @_require "require"))

(block
  (function_call
    name: (identifier) @_require
    arguments: (arguments . (string) @import.module .)) @import
  (#eq? @_require "require"))
