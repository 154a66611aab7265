; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; Member functions are functions (the index makes them methods by nesting in the class); an
; out-of-line `A::B::f() {}` is named `f`. A function named like its class inside the class
; body is a constructor. Prototypes at namespace level are functions too (what headers hold).
; Enumerators are constants; `#define`s are macros; `typedef struct {...} T` is the struct T.
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `(comment)+ @doc` form and a plain form; the first wins.)

; ---- templates: the doc comment precedes `template <...>` ---------------------------------------

((comment)* @doc
 .
 (template_declaration
   [
     (class_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class
     (struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.struct
     (function_definition
       declarator: [
         (function_declarator declarator: [(identifier) (field_identifier) (operator_name)] @name)
         (function_declarator declarator: (qualified_identifier name: [(identifier) (operator_name)] @name))
         (pointer_declarator declarator: (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier name: (identifier) @name)] @name))
         (reference_declarator (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier name: (identifier) @name)] @name))
       ]) @definition.function
     (alias_declaration name: (type_identifier) @name) @definition.type
     (concept_definition name: (identifier) @name) @definition.type
   ]))

; ---- constructors and destructors inside a class body ------------------------------------------

(field_declaration_list
  (comment)+ @doc
  .
  [
    (function_definition declarator: (function_declarator declarator: (identifier) @name))
    (declaration declarator: (function_declarator declarator: (identifier) @name))
  ] @definition.constructor)

(field_declaration_list
  [
    (function_definition declarator: (function_declarator declarator: (identifier) @name))
    (declaration declarator: (function_declarator declarator: (identifier) @name))
  ] @definition.constructor)

(field_declaration_list
  [
    (function_definition declarator: (function_declarator declarator: (destructor_name) @name))
    (declaration declarator: (function_declarator declarator: (destructor_name) @name))
  ] @definition.function)

; ---- functions ----------------------------------------------------------------------------------

((comment)* @doc
 .
 (function_definition
   declarator: [
     (function_declarator declarator: [(field_identifier) (operator_name) (destructor_name)] @name)
     (function_declarator declarator: (qualified_identifier name: [(identifier) (operator_name) (destructor_name)] @name))
     (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (operator_name) (destructor_name)] @name)))
     (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: (qualified_identifier name: [(identifier) (operator_name) (destructor_name)] @name))))
     (pointer_declarator declarator: (function_declarator declarator: [(identifier) (field_identifier) (operator_name)] @name))
     (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: [(identifier) (operator_name)] @name)))
     (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (operator_name)] @name))))
     (reference_declarator (function_declarator declarator: [(identifier) (field_identifier) (operator_name)] @name))
     (reference_declarator (function_declarator declarator: (qualified_identifier name: [(identifier) (operator_name)] @name)))
     (reference_declarator (function_declarator declarator: (qualified_identifier name: (qualified_identifier name: [(identifier) (operator_name)] @name))))
   ]) @definition.function)

; `f() {}` named by a plain identifier: outside class bodies (inside, it is a constructor)
(translation_unit
  (comment)+ @doc
  .
  (function_definition
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(declaration_list
  (comment)+ @doc
  .
  (function_definition
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(translation_unit
  (function_definition
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(declaration_list
  (function_definition
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(compound_statement
  (function_definition
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

; member function declarations in a class body
((comment)* @doc
 .
 (field_declaration
   declarator: [
     (function_declarator declarator: [(field_identifier) (operator_name)] @name)
     (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (operator_name)] @name))
     (reference_declarator (function_declarator declarator: [(field_identifier) (operator_name)] @name))
   ]) @definition.function)

; prototypes at file or namespace level (or in extern "C" { })
(translation_unit
  (comment)+ @doc
  .
  (declaration
    declarator: [
      (function_declarator declarator: [(identifier) (qualified_identifier name: (identifier) @name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(declaration_list
  (comment)+ @doc
  .
  (declaration
    declarator: [
      (function_declarator declarator: [(identifier) (qualified_identifier name: (identifier) @name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(translation_unit
  (declaration
    declarator: [
      (function_declarator declarator: [(identifier) (qualified_identifier name: (identifier) @name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(declaration_list
  (declaration
    declarator: [
      (function_declarator declarator: [(identifier) (qualified_identifier name: (identifier) @name)] @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
      (reference_declarator (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

; ---- classes, structs, enums, namespaces, types -------------------------------------------------

((comment)* @doc
 .
 (class_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class)

((comment)* @doc
 .
 [
   (struct_specifier name: (type_identifier) @name body: (field_declaration_list))
   (union_specifier name: (type_identifier) @name body: (field_declaration_list))
 ] @definition.struct)

((comment)* @doc
 .
 (type_definition
   type: [
     (struct_specifier !name body: (field_declaration_list))
     (union_specifier !name body: (field_declaration_list))
     (class_specifier !name body: (field_declaration_list))
   ]
   declarator: (type_identifier) @name) @definition.struct)

((comment)* @doc
 .
 (enum_specifier name: (type_identifier) @name body: (enumerator_list)) @definition.enum)

((comment)* @doc
 .
 (enumerator name: (identifier) @name) @definition.constant)

((comment)* @doc
 .
 (namespace_definition
   name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.namespace)

((comment)* @doc
 .
 [
   (type_definition declarator: (type_identifier) @name)
   (type_definition declarator: (pointer_declarator declarator: (type_identifier) @name))
   (type_definition declarator: (function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: (type_identifier) @name))))
   (alias_declaration name: (type_identifier) @name)
 ] @definition.type
 (#not-match? @definition.type "^typedef[ \t\n]+(struct|union|enum|class)[ \t\n]*[{]"))

((comment)* @doc
 .
 (field_declaration
   declarator: [
     (field_identifier) @name
     (pointer_declarator declarator: (field_identifier) @name)
     (reference_declarator (field_identifier) @name)
     (array_declarator declarator: (field_identifier) @name)
   ]) @definition.field)

((comment)* @doc
 .
 [
   (preproc_def name: (identifier) @name)
   (preproc_function_def name: (identifier) @name)
 ] @definition.macro)

; `const` / `constexpr` variables at file or namespace level are constants (the variable
; patterns below leave them out)
(translation_unit
  (declaration
    declarator: (init_declarator declarator: (identifier) @name)) @definition.constant
  (#match? @definition.constant "^((static|extern|inline|thread_local|volatile)[ \t\n]+)*const(expr|init)?[ \t\n]"))

(declaration_list
  (declaration
    declarator: (init_declarator declarator: (identifier) @name)) @definition.constant
  (#match? @definition.constant "^((static|extern|inline|thread_local|volatile)[ \t\n]+)*const(expr|init)?[ \t\n]"))

; variables at file or namespace level (not the constants above)

(translation_unit
  (comment)+ @doc
  .
  (declaration
    declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^((static|extern|inline|thread_local|volatile)[ \t\n]+)*const(expr|init)?[ \t\n]"))

(translation_unit
  (comment)+ @doc
  .
  (declaration
    declarator: [
      (identifier) @name
      (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      (init_declarator declarator: (reference_declarator (identifier) @name))
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ]) @definition.variable)

(translation_unit
  (declaration
    declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^((static|extern|inline|thread_local|volatile)[ \t\n]+)*const(expr|init)?[ \t\n]"))

(translation_unit
  (declaration
    declarator: [
      (identifier) @name
      (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      (init_declarator declarator: (reference_declarator (identifier) @name))
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ]) @definition.variable)

(declaration_list
  (comment)+ @doc
  .
  (declaration
    declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^((static|extern|inline|thread_local|volatile)[ \t\n]+)*const(expr|init)?[ \t\n]"))

(declaration_list
  (comment)+ @doc
  .
  (declaration
    declarator: [
      (identifier) @name
      (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      (init_declarator declarator: (reference_declarator (identifier) @name))
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ]) @definition.variable)

(declaration_list
  (declaration
    declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^((static|extern|inline|thread_local|volatile)[ \t\n]+)*const(expr|init)?[ \t\n]"))

(declaration_list
  (declaration
    declarator: [
      (identifier) @name
      (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      (init_declarator declarator: (reference_declarator (identifier) @name))
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ]) @definition.variable)

; ---- references ---------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
    (qualified_identifier name: (identifier) @name)
    (qualified_identifier name: (qualified_identifier name: (identifier) @name))
    (template_function name: (identifier) @name)
    (qualified_identifier name: (template_function name: (identifier) @name))
    (field_expression field: (template_method name: (field_identifier) @name))
  ]) @reference.call

(new_expression
  type: [
    (type_identifier) @name
    (qualified_identifier name: (type_identifier) @name)
    (template_type name: (type_identifier) @name)
    (qualified_identifier name: (template_type name: (type_identifier) @name))
  ]) @reference.class

(base_class_clause
  [
    (type_identifier) @name
    (qualified_identifier name: (type_identifier) @name)
    (template_type name: (type_identifier) @name)
    (qualified_identifier name: (template_type name: (type_identifier) @name))
  ] @reference.class)

(type_identifier) @name @reference.type
