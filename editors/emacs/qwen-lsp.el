;;; qwen-lsp.el --- qwen-lsp through eglot  -*- lexical-binding: t; -*-

;; Tested with Emacs 28.2 and eglot 1.9 (Debian bookworm: emacs-nox, elpa-eglot); eglot is
;; built into Emacs 29 and later.
;;
;; Usage, in your init file:
;;   (add-to-list 'load-path "/path/to/qwen-lsp/editors/emacs")
;;   (require 'qwen-lsp)
;;   (setq qwen-lsp-initialization-options '(:completion (:maxTokens 48)))  ; optional
;;   (add-hook 'python-mode-hook #'eglot-ensure)
;;
;; Diagnostics show through flymake, quick fixes through `eglot-code-actions', and the model's
;; suggestion is a `completion-at-point' candidate (eglot has no ghost text).

;;; Code:

(require 'cl-lib)
(require 'eglot)

(defgroup qwen-lsp nil
  "Local AI completions and diagnostics from qwen-lsp."
  :group 'tools
  :prefix "qwen-lsp-")

(defcustom qwen-lsp-command '("qwen-lsp" "serve")
  "The command that starts the server (over stdio)."
  :type '(repeat string))

(defcustom qwen-lsp-initialization-options nil
  "Server settings sent as initializationOptions, as a plist.
For example (:completion (:maxTokens 48) :models (:byLanguage (:python \"/path/to/module\"))).
The names are those of `qwen-lsp settings'; use :json-false for false."
  :type 'sexp)

(defcustom qwen-lsp-major-modes
  '(python-mode python-ts-mode js-mode js-ts-mode typescript-mode typescript-ts-mode
    tsx-ts-mode go-mode go-ts-mode rust-mode rust-ts-mode java-mode java-ts-mode
    c-mode c-ts-mode c++-mode c++-ts-mode csharp-mode ruby-mode ruby-ts-mode php-mode
    sh-mode bash-ts-mode lua-mode kotlin-mode scala-mode swift-mode haskell-mode
    julia-mode tuareg-mode elixir-mode zig-mode dart-mode)
  "Major modes whose buffers eglot connects to qwen-lsp."
  :type '(repeat symbol))

(defclass eglot-qwen-lsp (eglot-lsp-server) ()
  :documentation "The qwen-lsp language server.")

(cl-defmethod eglot-initialization-options ((_server eglot-qwen-lsp))
  "Send `qwen-lsp-initialization-options' (an empty object when nil)."
  (or qwen-lsp-initialization-options (make-hash-table)))

(add-to-list 'eglot-server-programs
             `(,qwen-lsp-major-modes . (eglot-qwen-lsp . ,qwen-lsp-command)))

(provide 'qwen-lsp)
;;; qwen-lsp.el ends here
