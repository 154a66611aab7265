"""Framework awareness: which frameworks a project uses (manifests, files, imports), their
snippets with the project's names filled in, and framework-related files as completion context.

The knowledge is data in ``templates/<framework>/`` (see ``templates/README.md``); this package
reads it (:mod:`.catalog`), detects (:mod:`.detect`), fills snippets (:mod:`.snippets`) and
provides the context builder's third source (:mod:`.context`). It knows nothing of LSP.
"""
