"""Security at rest and on the wire: encryption of model modules and caches (``crypto``), the
hash-chained audit log (``audit``), secret redaction and context exclusion for the remote
backend (``redact``). Nothing here imports LSP types.
"""
