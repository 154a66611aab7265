"""Real-client tests: VS Code (Node), Neovim, Emacs, the browser playground."""
