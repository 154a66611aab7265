; id = "QL106"
; name = "none-comparison"
; severity = "warning"
; category = "correctness"
; summary = "`== None` / `!= None` instead of `is None` / `is not None`."
; message = "`{op} None` asks the object whether it equals None (its `__eq__` may say yes); `is` checks identity, which is what None needs"
; explain = """
; **What.** A comparison with `None` using `==` or `!=`.
;
; **Why.** `None` is a singleton: the question is "is this the None object", which `is`
; answers exactly and fast. `==` calls the left operand's `__eq__`, which classes may override
; (ORM columns, NumPy arrays, mocks answer `True` or return an array), so `x == None` can be
; true for objects that are not None, or not even be a bool. PEP 8 asks for `is`.
;
; **Careful.** With NumPy arrays and pandas objects `== None` is element-wise on purpose; there
; the intent is usually `.isna()` / `np.equal(x, None)`.
;
; **Fix.** `==` becomes `is`, `!=` becomes `is not`.
; """
; [fix]
; title = "Use `is` / `is not`"
; edits = [
;   { capture = "op", regex = "^==$", text = "is" },
;   { capture = "op", regex = "^!=$", text = "is not" },
; ]
(comparison_operator (_) operators: ["==" "!="] @op (none)) @finding
(comparison_operator (none) operators: ["==" "!="] @op (_)) @finding
