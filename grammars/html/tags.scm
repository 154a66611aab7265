; Element ids, in the shared capture vocabulary:
;   @definition.field on an element with an `id` attribute, @name on the id's value (a fragment
;   target `page.html#id` and a CSS `#id` selector refer to it).
; Inline <script> and <style> contents are other languages (injections), not read here.

((element
   (start_tag
     (attribute
       (attribute_name) @_id
       [(quoted_attribute_value (attribute_value) @name) (attribute_value) @name]))) @definition.field
 (#eq? @_id "id"))
