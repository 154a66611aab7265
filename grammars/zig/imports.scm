; One match per @import:
;   @import on the declaration, @import.module on the imported path or package (with its quotes),
;   @import.name on a declaration taken from it, @import.alias on the constant bound to it.
;   const std = @import("std");             -> module "std", alias std
;   const Foo = @import("foo.zig").Foo;     -> module "foo.zig", name Foo, alias Foo
;   _ = @import("x.zig");                   -> module "x.zig"

((variable_declaration
   (identifier) @import.alias
   (builtin_function
     (builtin_identifier) @_import
     (arguments . (string) @import.module .))) @import
 (#eq? @_import "@import"))

((variable_declaration
   (identifier) @import.alias
   (field_expression
     object: (builtin_function
       (builtin_identifier) @_import
       (arguments . (string) @import.module .))
     member: (identifier) @import.name)) @import
 (#eq? @_import "@import"))

((expression_statement
   (assignment_expression
     right: (builtin_function
       (builtin_identifier) @_import
       (arguments . (string) @import.module .)))) @import
 (#eq? @_import "@import"))
