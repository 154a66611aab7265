;;; qwen-lsp-lsp-mode.el --- qwen-lsp through lsp-mode  -*- lexical-binding: t; -*-

;; NOT exercised by the tests (only the eglot form is: tests/editors/test_emacs.py).
;; lsp-mode 9.0+ also shows ghost text: M-x lsp-inline-completion-mode.
;;
;;   (add-to-list 'load-path "/path/to/qwen-lsp/editors/emacs")
;;   (require 'qwen-lsp-lsp-mode)
;;   (add-hook 'python-mode-hook #'lsp-deferred)

;;; Code:

(require 'lsp-mode)

(defcustom qwen-lsp-lsp-mode-initialization-options nil
  "Server settings sent as initializationOptions (a plist or hash table)."
  :type 'sexp
  :group 'lsp-mode)

(lsp-register-client
 (make-lsp-client
  :new-connection (lsp-stdio-connection '("qwen-lsp" "serve"))
  :activation-fn (lsp-activate-on "python" "javascript" "typescript" "typescriptreact" "go"
                                  "rust" "java" "c" "cpp" "csharp" "ruby" "php" "shellscript"
                                  "lua" "kotlin" "scala" "swift" "haskell" "julia" "elixir")
  :server-id 'qwen-lsp
  ;; Beside the language's own server (pyright, gopls, ...), not instead of it.
  :add-on? t
  :priority -2
  :initialization-options (lambda () (or qwen-lsp-lsp-mode-initialization-options
                                         (make-hash-table)))))

(provide 'qwen-lsp-lsp-mode)
;;; qwen-lsp-lsp-mode.el ends here
