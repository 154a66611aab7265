;;; eglot_driver.el --- drive eglot against qwen-lsp in `emacs --batch'  -*- lexical-binding: t; -*-

;; Run by tests/editors/test_emacs.py. Loads editors/emacs/qwen-lsp.el, opens a Python file,
;; connects eglot, waits for the server's diagnostics in flymake (flymake-start called
;; explicitly: batch Emacs never runs the idle timers that would start it), then runs
;; `completion-at-point' at the end of the completion line and records the buffer. Writes JSON
;; to $QWEN_EMACS_OUT.

(require 'json)
(require 'subr-x)

(defvar qwen-driver-result (make-hash-table :test #'equal))
(defun qwen-driver-put (key value) (puthash key value qwen-driver-result))

(defun qwen-driver-finish (&optional error-message)
  (when error-message (qwen-driver-put "error" error-message))
  (with-temp-file (getenv "QWEN_EMACS_OUT")
    (insert (json-encode qwen-driver-result)))
  (kill-emacs 0))

(defun qwen-driver-wait (what predicate seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (error "Timed out waiting for %s" what))))

(condition-case err
    (progn
      (add-to-list 'load-path (getenv "QWEN_EMACS_LISP"))
      (require 'qwen-lsp)
      (qwen-driver-put "emacs" emacs-version)
      (qwen-driver-put "eglot" (file-name-directory (locate-library "eglot")))
      (setq qwen-lsp-initialization-options
            (json-parse-string (getenv "QWEN_LSP_TEST_INIT_OPTIONS")
                               :object-type 'plist :false-object :json-false))
      (setq eglot-sync-connect 30 eglot-connect-timeout 60)
      (let ((messages '()))
        (advice-add 'message :after
                    (lambda (fmt &rest args)
                      (when fmt (push (apply #'format-message fmt args) messages))))
        (find-file (getenv "QWEN_EMACS_FILE"))
        (qwen-driver-put "major_mode" (symbol-name major-mode))
        (apply #'eglot (eglot--guess-contact))
        (qwen-driver-wait "eglot to connect" (lambda () (eglot-current-server)) 60)
        (let ((server (eglot-current-server)))
          (qwen-driver-put "server_class" (symbol-name (eieio-object-class server)))
          (qwen-driver-put "server_name" (plist-get (eglot--server-info server) :name)))
        (qwen-driver-put "managed" (if (bound-and-true-p eglot--managed-mode) t :json-false))
        ;; Diagnostics: pushed by the server, shown by flymake once it runs.
        (flymake-mode 1)
        (qwen-driver-wait "flymake diagnostics"
                          (lambda ()
                            (flymake-start)
                            (accept-process-output nil 0.2)
                            (flymake-diagnostics))
                          30)
        (qwen-driver-put "diagnostics"
                         (vconcat
                          (mapcar (lambda (d)
                                    (list (cons "line" (line-number-at-pos (flymake-diagnostic-beg d)))
                                          (cons "type" (format "%s" (flymake-diagnostic-type d)))
                                          (cons "text" (flymake-diagnostic-text d))))
                                  (flymake-diagnostics))))
        ;; completion-at-point at the end of the completion line, as a user would press it.
        (goto-char (point-min))
        (forward-line (1- (string-to-number (getenv "QWEN_EMACS_LINE"))))
        (end-of-line)
        (let* ((start (point))
               (capf (run-hook-wrapped 'completion-at-point-functions
                                       (lambda (f) (and (functionp f) (funcall f))))))
          (qwen-driver-put "capf" (if capf t :json-false))
          (when capf
            (qwen-driver-put "candidates"
                             (vconcat (mapcar #'substring-no-properties
                                              (all-completions
                                               (buffer-substring-no-properties (nth 0 capf) (nth 1 capf))
                                               (nth 2 capf))))))
          (qwen-driver-put "completion_at_point" (if (completion-at-point) t :json-false))
          (qwen-driver-put "inserted" (buffer-substring-no-properties start (point-max))))
        (qwen-driver-put "messages" (vconcat (reverse messages)))
        (qwen-driver-finish)))
  (error (qwen-driver-finish (error-message-string err))))
;;; eglot_driver.el ends here
