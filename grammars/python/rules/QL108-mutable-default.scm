; id = "QL108"
; name = "mutable-default-argument"
; severity = "warning"
; category = "correctness"
; summary = "A list, dict or set as a parameter's default value, changed or kept by the function."
; filters = ["python.default_changed_or_escapes"]
; message = "the default `{finding}` is created once, when the function is defined, and shared by every call: changes made in one call show up in the next"
; explain = """
; **What.** A parameter whose default is a mutable object: `[]`, `{}`, `set()`, `list()`,
; `dict()`, a comprehension, `defaultdict(...)`, `deque(...)`.
;
; **Why.** Default values are evaluated once, when `def` runs, not per call. The same list is
; reused by every call that omits the argument, so `def add(x, seen=[]): seen.append(x)`
; remembers values across calls: a classic, hard-to-see bug.
;
; **Reported** when the function changes the default (`.append`, `x[k] = ...`, `+=`,
; `del x[k]`...) or lets it escape (returns, yields or stores it): then calls really share
; state. A default that is only read (a lookup table, `cnf={}` merged into a new dict) is
; harmless and not reported.
;
; **Fix.** The default becomes `None` (the annotation gets `| None`) and the body starts with
; `if x is None: x = []`, so every call gets a fresh object.
; """
; [fix]
; title = "Default to `None`"
; fixer = "python.mutable_default"
(function_definition
  parameters: (parameters
    [(default_parameter name: (identifier) @name
       value: [(list) (dictionary) (set) (list_comprehension) (dictionary_comprehension) (set_comprehension)] @finding)
     (typed_default_parameter name: (identifier) @name type: (type) @type
       value: [(list) (dictionary) (set) (list_comprehension) (dictionary_comprehension) (set_comprehension)] @finding)])
  body: (block) @body)
(function_definition
  parameters: (parameters
    [(default_parameter name: (identifier) @name
       value: (call function: (identifier) @ctor) @finding)
     (typed_default_parameter name: (identifier) @name type: (type) @type
       value: (call function: (identifier) @ctor) @finding)])
  body: (block) @body
  (#match? @ctor "^(list|dict|set|bytearray|defaultdict|deque|OrderedDict|Counter)$"))
