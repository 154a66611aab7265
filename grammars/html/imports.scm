; One match per script or stylesheet the page loads:
;   @import on the element, @import.module on the URL (the attribute value, without quotes).
;   <script src="js/app.js">                  -> module js/app.js
;   <link rel="stylesheet" href="main.css">   -> module main.css   (also rel="modulepreload")
; Imports inside inline <script type="module"> are JavaScript (an injection), not read here.

((script_element
   (start_tag
     (attribute
       (attribute_name) @_src
       [(quoted_attribute_value (attribute_value) @import.module) (attribute_value) @import.module]))) @import
 (#eq? @_src "src"))

((element
   (start_tag
     (tag_name) @_link
     (attribute
       (attribute_name) @_rel
       [(quoted_attribute_value (attribute_value) @_kind) (attribute_value) @_kind])
     (attribute
       (attribute_name) @_href
       [(quoted_attribute_value (attribute_value) @import.module) (attribute_value) @import.module]))) @import
 (#eq? @_link "link")
 (#eq? @_rel "rel")
 (#match? @_kind "^(stylesheet|modulepreload|import)$")
 (#eq? @_href "href"))

((element
   (start_tag
     (tag_name) @_link
     (attribute
       (attribute_name) @_href
       [(quoted_attribute_value (attribute_value) @import.module) (attribute_value) @import.module])
     (attribute
       (attribute_name) @_rel
       [(quoted_attribute_value (attribute_value) @_kind) (attribute_value) @_kind]))) @import
 (#eq? @_link "link")
 (#eq? @_rel "rel")
 (#match? @_kind "^(stylesheet|modulepreload|import)$")
 (#eq? @_href "href"))
