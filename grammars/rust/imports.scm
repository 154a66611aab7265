; One match per imported binding:
;   @import on the `use` declaration, @import.module on the path, @import.name on the imported
;   item, @import.alias on its local alias.
; Choice: the module is the path without its last segment, the name is the last segment:
;   use a::b::C;                -> module a::b, name C
;   use a::b::C as D;           -> module a::b, name C, alias D
;   use a::b::{c, d as e};      -> module a::b, name c; module a::b, name d, alias e
;   use a::b::{self};           -> module a::b          (the module itself, bound to b)
;   use a::b::{self as m};      -> module a::b, alias m
;   use a::b::*;                -> module a::b, name *
;   use a;                      -> module a
;   use a::{b::c};              -> module a, name b::c   (a path inside a list is kept whole)
;   use a::{b::{c, d}};         -> module a, name b      (a nested list is one import of its path)
;   extern crate a as b;        -> module a, alias b

(use_declaration
  argument: (scoped_identifier
    path: (_) @import.module
    name: (identifier) @import.name)) @import

(use_declaration
  argument: (use_as_clause
    path: (scoped_identifier
      path: (_) @import.module
      name: (identifier) @import.name)
    alias: (identifier) @import.alias)) @import

(use_declaration
  argument: (use_as_clause
    path: (identifier) @import.module
    alias: (identifier) @import.alias)) @import

(use_declaration
  argument: [(identifier) (crate) (super) (self)] @import.module) @import

(use_declaration
  argument: (use_wildcard
    [(identifier) (scoped_identifier) (crate) (super) (self)] @import.module
    "*" @import.name)) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list [(identifier) (scoped_identifier)] @import.name))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (self)))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list
      (use_as_clause
        path: [(identifier) (scoped_identifier)] @import.name
        alias: (identifier) @import.alias)))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list
      (use_as_clause
        path: (self)
        alias: (identifier) @import.alias)))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list
      (scoped_use_list
        path: (_) @import.name)))) @import

(use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (use_wildcard "*" @import.name)))) @import

(extern_crate_declaration
  name: (identifier) @import.module
  alias: (identifier)? @import.alias) @import
