; One match per imported name:
;   @import on the declaration, @import.module on the namespace (or the file of an include,
;   with its quotes), @import.name on the imported class/function/constant, @import.alias on
;   its local alias.
; Choice: the module is the namespace without the last segment, the name is the last segment:
;   use App\Models\Product;              -> module App\Models, name Product
;   use App\Models\Product as P;         -> module App\Models, name Product, alias P
;   use App\Contracts\{Priced, D as L};  -> module App\Contracts, name Priced; name D, alias L
;   use function App\f; / use const App\C;  -> module App, name f / C
;   use Foo;                             -> module Foo
;   require 'x.php'; include_once "x.php";  -> module "x.php"
;   require __DIR__ . '/x.php';          -> module "/x.php" (relative to the file's directory)

(namespace_use_declaration
  (namespace_use_clause
    (qualified_name
      prefix: (namespace_name) @import.module
      (name) @import.name .)
    alias: (name)? @import.alias)) @import

(namespace_use_declaration
  (namespace_use_clause
    .
    (name) @import.module
    alias: (name)? @import.alias)) @import

(namespace_use_declaration
  (namespace_name) @import.module
  body: (namespace_use_group
    (namespace_use_clause
      .
      [
        (name) @import.name
        (qualified_name) @import.name
      ]
      alias: (name)? @import.alias))) @import

(require_expression
  [
    (string) @import.module
    (encapsed_string) @import.module
    (parenthesized_expression [(string) (encapsed_string)] @import.module)
    (binary_expression left: (name) @_dir right: [(string) (encapsed_string)] @import.module)
  ]
  (#eq? @_dir "__DIR__")) @import

(require_once_expression
  [
    (string) @import.module
    (encapsed_string) @import.module
    (parenthesized_expression [(string) (encapsed_string)] @import.module)
    (binary_expression left: (name) @_dir right: [(string) (encapsed_string)] @import.module)
  ]
  (#eq? @_dir "__DIR__")) @import

(include_expression
  [
    (string) @import.module
    (encapsed_string) @import.module
    (parenthesized_expression [(string) (encapsed_string)] @import.module)
    (binary_expression left: (name) @_dir right: [(string) (encapsed_string)] @import.module)
  ]
  (#eq? @_dir "__DIR__")) @import

(include_once_expression
  [
    (string) @import.module
    (encapsed_string) @import.module
    (parenthesized_expression [(string) (encapsed_string)] @import.module)
    (binary_expression left: (name) @_dir right: [(string) (encapsed_string)] @import.module)
  ]
  (#eq? @_dir "__DIR__")) @import
