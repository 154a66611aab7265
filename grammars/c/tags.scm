; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; Prototypes at file level are function definitions too (they are what a header holds);
; enumerators are constants; `#define`s are macros; `typedef struct {...} T` is the struct T.

((comment)* @doc
 .
 (function_definition
   declarator: [
     (function_declarator declarator: (identifier) @name)
     (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
     (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
   ]) @definition.function)

; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so file-level declarations have a pattern with `(comment)+` and a plain one; the first wins.)
(translation_unit
  (comment)+ @doc
  .
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

(translation_unit
  (declaration
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
    ]) @definition.function)

((comment)* @doc
 .
 (type_definition
   type: [
     (struct_specifier !name body: (field_declaration_list))
     (union_specifier !name body: (field_declaration_list))
   ]
   declarator: (type_identifier) @name) @definition.struct)

((comment)* @doc
 .
 (type_definition
   type: (enum_specifier !name body: (enumerator_list))
   declarator: (type_identifier) @name) @definition.enum)

((comment)* @doc
 .
 (type_definition
   declarator: [
     (type_identifier) @name
     (pointer_declarator declarator: (type_identifier) @name)
     (function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: (type_identifier) @name)))
     (array_declarator declarator: (type_identifier) @name)
   ]) @definition.type
 (#not-match? @definition.type "^typedef[ \t\n]+(struct|union|enum)[ \t\n]*[{]"))

((comment)* @doc
 .
 [
   (struct_specifier name: (type_identifier) @name body: (field_declaration_list))
   (union_specifier name: (type_identifier) @name body: (field_declaration_list))
 ] @definition.struct)

((comment)* @doc
 .
 (enum_specifier name: (type_identifier) @name body: (enumerator_list)) @definition.enum)

((comment)* @doc
 .
 (enumerator name: (identifier) @name) @definition.constant)

((comment)* @doc
 .
 (field_declaration
   declarator: [
     (field_identifier) @name
     (pointer_declarator declarator: (field_identifier) @name)
     (pointer_declarator declarator: (pointer_declarator declarator: (field_identifier) @name))
     (array_declarator declarator: (field_identifier) @name)
     (function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: (field_identifier) @name)))
   ]) @definition.field)

((comment)* @doc
 .
 [
   (preproc_def name: (identifier) @name)
   (preproc_function_def name: (identifier) @name)
 ] @definition.macro)

(translation_unit
  (comment)+ @doc
  .
  (declaration
    declarator: [
      (identifier) @name
      (init_declarator declarator: (identifier) @name)
      (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      (init_declarator declarator: (array_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ]) @definition.variable)

(translation_unit
  (declaration
    declarator: [
      (identifier) @name
      (init_declarator declarator: (identifier) @name)
      (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      (init_declarator declarator: (array_declarator declarator: (identifier) @name))
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ]) @definition.variable)

; ---- references ------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
  ]) @reference.call

(type_identifier) @name @reference.type
