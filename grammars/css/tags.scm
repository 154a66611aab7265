; Rules, animations and custom properties, in the shared capture vocabulary:
;   @definition.class on a rule set, @name on each selector of its list (`a, b {}` is two);
;   @definition.function on `@keyframes`, @name on the animation name;
;   @definition.variable on a custom property declaration (`--accent: ...`), @name on it;
;   @doc on the comment before a rule.

((comment)* @doc
 .
 (rule_set (selectors (_) @name)) @definition.class)

((comment)* @doc
 .
 (keyframes_statement (keyframes_name) @name) @definition.function)

((declaration (property_name) @name) @definition.variable
 (#match? @name "^--"))
