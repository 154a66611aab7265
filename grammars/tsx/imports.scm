; One match per imported binding:
;   @import on the statement, @import.module on the module specifier (with its quotes),
;   @import.name on the exported name that is imported, @import.alias on the local binding.
; Choices (the same as javascript):
;   import x from "m"            -> module "m", alias x   (the module's default export bound to x)
;   import * as ns from "m"      -> module "m", alias ns  (the whole module bound to ns)
;   import x = require("m")      -> module "m", alias x
;   import {a, b as c} from "m"  -> module "m", name a; module "m", name b, alias c
;   import type {T} from "m"     -> module "m", name T    (type-only imports are imports too)
;   import "m"                   -> module "m"            (for its side effects)
;   export {a} from "m" / export * from "m" -> like imports (re-exports resolve through them)
;   const x = require("m")       -> module "m", alias x;  const {a, b: c} = require("m") -> names
;   require("m")                 -> module "m"

(import_statement
  (import_clause (identifier) @import.alias)
  source: (string) @import.module) @import

(import_statement
  (import_clause (namespace_import (identifier) @import.alias))
  source: (string) @import.module) @import

(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: [(identifier) (string)] @import.name
        alias: (identifier)? @import.alias)))
  source: (string) @import.module) @import

(import_statement
  (import_require_clause
    (identifier) @import.alias
    source: (string) @import.module)) @import

(import_statement
  .
  "import"
  .
  source: (string) @import.module) @import

(export_statement
  (export_clause
    (export_specifier
      name: [(identifier) (string)] @import.name
      alias: [(identifier) (string)]? @import.alias))
  source: (string) @import.module) @import

(export_statement
  "*"
  source: (string) @import.module) @import

(variable_declarator
  name: (identifier) @import.alias
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string) @import.module .))
  (#eq? @_require "require")) @import

(variable_declarator
  name: (object_pattern
    [
      (shorthand_property_identifier_pattern) @import.name
      (pair_pattern key: (property_identifier) @import.name value: (identifier) @import.alias)
    ])
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string) @import.module .))
  (#eq? @_require "require")) @import

(expression_statement
  (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string) @import.module .))
  (#eq? @_require "require")) @import
