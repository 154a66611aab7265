; Definitions and references, in the shared capture vocabulary:
;   @definition.<kind> on the whole definition, @name on its name, @doc on the comments before it;
;   @reference.<kind> on a use, @name on the referenced name.
; One tag per @name node: where two patterns capture the same name, the earlier pattern wins.
; Functions, and variables assigned at the top level of the script (`readonly` ones are
; constants); every command run is a call reference (also of external programs).

((comment)* @doc
 .
 (function_definition name: (word) @name) @definition.function)

(program
  (comment)+ @doc
  .
  (declaration_command
    "readonly"
    (variable_assignment name: (variable_name) @name) @definition.constant))

(program
  (declaration_command
    "readonly"
    (variable_assignment name: (variable_name) @name) @definition.constant))

(program
  (comment)+ @doc
  .
  [
    (variable_assignment name: (variable_name) @name) @definition.variable
    ((declaration_command (variable_assignment name: (variable_name) @name) @definition.variable) @_declare
     (#not-match? @_declare "^readonly"))
  ])

(program
  [
    (variable_assignment name: (variable_name) @name) @definition.variable
    ((declaration_command (variable_assignment name: (variable_name) @name) @definition.variable) @_declare
     (#not-match? @_declare "^readonly"))
  ])

((command
   name: (command_name (word) @name)) @reference.call
 (#not-match? @name "^(source|\\.)$"))
