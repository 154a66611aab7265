; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins,
; so definitions come first and the broad type reference pattern comes last.
; `object`s are classes; functions in a class are functions (methods by nesting); a secondary
; constructor is named `constructor`; `val`/`var` in a class (and in a primary constructor)
; are properties, at the top level variables (`const val`: constants); enum entries constants.
; (A quantified comment before an anchor inside a parent pattern loses matches in tree-sitter,
; so patterns that need a parent have a `+` form and a plain form; the first wins.)

(([(block_comment) (line_comment)]* @doc
  .
  (class_declaration "interface" name: (identifier) @name) @definition.interface))

(([(block_comment) (line_comment)]* @doc
  .
  (class_declaration
    (modifiers (class_modifier "enum"))
    name: (identifier) @name) @definition.enum))

(([(block_comment) (line_comment)]* @doc
  .
  [
    (class_declaration "class" name: (identifier) @name)
    (object_declaration name: (identifier) @name)
  ] @definition.class)
 (#not-match? @definition.class "^(@[A-Za-z_.:]+(\\([^)]*\\))?[ \t\n]+|[a-z]+[ \t\n]+)*enum[ \t\n]+class[ \t\n]"))

(enum_entry . (identifier) @name) @definition.constant

(([(block_comment) (line_comment)]* @doc
  .
  (secondary_constructor "constructor" @name) @definition.constructor))

(([(block_comment) (line_comment)]* @doc
  .
  (function_declaration name: (identifier) @name) @definition.function))

(([(block_comment) (line_comment)]* @doc
  .
  (type_alias type: (identifier) @name) @definition.type))

(class_parameter ["val" "var"] . (identifier) @name) @definition.property

(class_body
  [(block_comment) (line_comment)]+ @doc
  .
  (property_declaration (variable_declaration (identifier) @name)) @definition.property)

(class_body
  (property_declaration (variable_declaration (identifier) @name)) @definition.property)

(source_file
  [(block_comment) (line_comment)]+ @doc
  .
  (property_declaration
    (modifiers (property_modifier "const"))
    (variable_declaration (identifier) @name)) @definition.constant)

(source_file
  (property_declaration
    (modifiers (property_modifier "const"))
    (variable_declaration (identifier) @name)) @definition.constant)

(source_file
  [(block_comment) (line_comment)]+ @doc
  .
  (property_declaration (variable_declaration (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^[^=]*(^|[ \t\n])const[ \t\n]"))

(source_file
  (property_declaration (variable_declaration (identifier) @name)) @definition.variable
  (#not-match? @definition.variable "^[^=]*(^|[ \t\n])const[ \t\n]"))

; ---- references ---------------------------------------------------------------------------------

(call_expression
  [
    (identifier) @name
    (navigation_expression (identifier) @name .)
  ]) @reference.call

(delegation_specifier
  (constructor_invocation (user_type (identifier) @name .)) @reference.class)

(delegation_specifier
  (user_type (identifier) @name .) @reference.implementation)

(user_type (identifier) @name @reference.type)
