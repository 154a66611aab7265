; id = "QL109"
; name = "bare-except"
; severity = "warning"
; category = "correctness"
; summary = "`except:` without an exception type (and without re-raising)."
; report = "kw"
; message = "a bare `except:` also catches KeyboardInterrupt and SystemExit, so Ctrl-C and sys.exit() are swallowed here; catch `Exception` (or the errors you expect)"
; explain = """
; **What.** An `except:` clause with no exception type whose body does not re-raise.
;
; **Why.** It catches `BaseException`: besides errors, `KeyboardInterrupt` (Ctrl-C),
; `SystemExit` (`sys.exit()`) and `GeneratorExit`. A program stuck in such a loop cannot be
; interrupted, and typos (`NameError`) inside the `try` are silently swallowed too.
;
; **Not reported.** A bare `except:` whose body ends with `raise` (clean up, then let it
; propagate).
;
; **Fix.** `except:` becomes `except Exception:`. Narrower is better when you know what can
; fail (`except (OSError, ValueError):`).
; """
; [fix]
; title = "Catch `Exception`"
; edits = [{ capture = "kw", insert = "after", text = " Exception" }]
((except_clause . "except" @kw . ":" (block) @body) @finding
  (#not-reraises? @body))
