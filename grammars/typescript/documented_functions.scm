; Functions with a doc comment (/** ... */) right before them: @doc is the comment, @body the
; block of the function. Read by qwen_lsp/training/selection.py (dev-set lines: the code a
; ghost-text model writes most, a body under a signature and its documentation).

((comment) @doc . (function_declaration body: (statement_block) @body))
((comment) @doc . (generator_function_declaration body: (statement_block) @body))
((comment) @doc . (method_definition body: (statement_block) @body))
((comment) @doc
  . (lexical_declaration
      (variable_declarator
        value: [(arrow_function body: (statement_block) @body)
                (function_expression body: (statement_block) @body)])))
((comment) @doc
  . (export_statement
      [(function_declaration body: (statement_block) @body)
       (generator_function_declaration body: (statement_block) @body)
       (lexical_declaration
         (variable_declarator
           value: [(arrow_function body: (statement_block) @body)
                   (function_expression body: (statement_block) @body)]))]))
((comment) @doc
  . (expression_statement
      (assignment_expression
        right: [(arrow_function body: (statement_block) @body)
                (function_expression body: (statement_block) @body)])))
