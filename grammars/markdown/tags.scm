; Headings as modules, in the shared capture vocabulary:
;   @definition.module on the section an ATX heading (`# Title`) opens (so sections nest like the
;   document outline), @name on the heading text; a setext heading (underlined) is a module on
;   its own lines.
; Links live in the inline grammar (tree_sitter_markdown.inline_language), not read here.

(section
  .
  (atx_heading heading_content: (inline) @name)) @definition.module

(setext_heading heading_content: (paragraph (inline) @name)) @definition.module
