; id = "QL304"
; name = "missing-await"
; severity = "warning"
; category = "correctness"
; languages = ["javascript", "typescript", "typescriptreact"]
; summary = "A call of an `async` function of this file, as a statement in an `async` function, without `await`."
; analyzer = "javascript.missing_await"
; fixable = true
; explain = """
; **What.** Inside an `async` function, a statement that only calls a function (or a
; `this.` method) that this file declares `async`, without `await`, `return`, `.then` or
; assigning the promise.
;
; **Why.** The promise floats: the next statements run before the call finishes (reading
; state it has not written yet), and if it rejects, the error is an unhandled rejection
; instead of an exception in the caller's `try`.
;
; **Not reported.** Names declared both `async` and not in the file (ambiguous), calls
; outside `async` functions (add `.catch(...)` there yourself), promises that are stored or
; passed on.
;
; **Fix.** Inserts `await`. If running in the background is intended, write
; `void f().catch(handle)` to say so.
; """
(function_declaration name: (identifier) @fn.name) @fn
(generator_function_declaration name: (identifier) @fn.name) @fn
(variable_declarator name: (identifier) @fn.name value: [(arrow_function) (function_expression)] @fn)
(method_definition name: (property_identifier) @method.name) @fn
(expression_statement (call_expression function: (identifier) @call.name) @call)
(expression_statement (call_expression function: (member_expression object: (this) property: (property_identifier) @call.method)) @call)
