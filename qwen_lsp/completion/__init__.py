"""Completions: from a document and a cursor to a suggestion (context, model, rules, caches).

Knows nothing of LSP: the inline-completion and completion features are thin handlers over
:class:`~qwen_lsp.completion.service.CompletionService`.
"""
