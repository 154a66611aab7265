; One match per imported module or name:
;   @import on the statement, @import.module on the module path (relative paths keep their
;   leading dots), @import.name on a selected name, @import.alias on an `as` name.
;   using LinearAlgebra, Base.Iterators   -> module LinearAlgebra; module Base.Iterators
;   using Statistics: mean, median        -> module Statistics, name mean; ... name median
;   import Base: show as s                -> module Base, name show, alias s
;   import A.B as C                       -> module A.B, alias C
;   include("file.jl")                    -> module "file.jl"  (a file, relative to this one)

(using_statement
  [(identifier) (scoped_identifier) (import_path)] @import.module) @import

(import_statement
  [(identifier) (scoped_identifier) (import_path)] @import.module) @import

(using_statement
  (import_alias
    .
    [(identifier) (scoped_identifier) (import_path)] @import.module
    .
    (identifier) @import.alias)) @import

(import_statement
  (import_alias
    .
    [(identifier) (scoped_identifier) (import_path)] @import.module
    .
    (identifier) @import.alias)) @import

(using_statement
  (selected_import
    .
    [(identifier) (scoped_identifier) (import_path)] @import.module
    [
      (identifier) @import.name
      (operator) @import.name
      (macro_identifier) @import.name
      (import_alias . (_) @import.name . (identifier) @import.alias)
    ])) @import

(import_statement
  (selected_import
    .
    [(identifier) (scoped_identifier) (import_path)] @import.module
    [
      (identifier) @import.name
      (operator) @import.name
      (macro_identifier) @import.name
      (import_alias . (_) @import.name . (identifier) @import.alias)
    ])) @import

((call_expression
   .
   (identifier) @_include
   (argument_list . (string_literal) @import.module .)) @import
 (#eq? @_include "include"))
