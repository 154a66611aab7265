; id = "QL601"
; name = "unwrap-in-library-code"
; severity = "hint"
; category = "correctness"
; summary = "`.unwrap()` outside tests: panics on `None` / `Err`."
; report = "method"
; message = "`unwrap()` panics if this is `None` or `Err`, taking the thread down with a generic message; handle the case, use `?`, or `expect(\"why it cannot fail\")`"
; filters = ["rust.not_test_code"]
; explain = """
; **What.** A call of `.unwrap()` in code that is not a test (`#[test]` functions,
; `#[cfg(test)]` modules, `tests/`, `benches/`, `examples/` and `build.rs` are exempt).
;
; **Why.** On `None` or `Err`, `unwrap` panics with `called Option::unwrap() on a None value`,
; which says neither what was missing nor why it was expected. In a library the panic
; becomes the caller's problem; in a server it kills the request's thread.
;
; **Fix.** In a function returning `Option`/`Result`, `?` propagates the failure (the fix
; offers it, not preferred: the error types must convert). Otherwise handle the case with
; `match`/`if let`/`unwrap_or`, or use `expect("...")` with the invariant that makes it safe.
; """
; [fix]
; title = "Propagate with `?`"
; preferred = false
; fixer = "rust.question_mark"
((call_expression
   function: (field_expression field: (field_identifier) @method)
   arguments: (arguments) @args) @finding
  (#eq? @method "unwrap")
  (#eq? @args "()"))
