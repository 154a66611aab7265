-- qwen-lsp for vim.lsp.config (Neovim 0.11+). With editors/nvim on 'runtimepath':
--   vim.lsp.config('qwen_lsp', { init_options = { completion = { maxTokens = 48 } } })
--   vim.lsp.enable('qwen_lsp')
-- init_options are the server's settings (`qwen-lsp settings`); settings = { qwenLsp = {...} }
-- is also honoured (the server asks for it with workspace/configuration).
-- This file alone (copied into your config's lsp/ folder) is a complete configuration; with
-- lua/qwen_lsp/ beside it, attaching also turns on ghost text (0.12+) or completion and keymaps.
local config = {
  cmd = { 'qwen-lsp', 'serve' },
  filetypes = {
    'bash', 'c', 'cpp', 'cs', 'css', 'cuda', 'dart', 'elixir', 'go', 'haskell', 'html', 'java',
    'javascript', 'javascriptreact', 'json', 'jsonc', 'julia', 'kotlin', 'lua', 'markdown',
    'ocaml', 'php', 'python', 'ruby', 'rust', 'scala', 'sh', 'swift', 'toml', 'typescript',
    'typescriptreact', 'yaml', 'zig', 'zsh',
  },
  root_markers = {
    '.git', 'pyproject.toml', 'setup.py', 'package.json', 'Cargo.toml', 'go.mod', 'pom.xml',
  },
  -- An empty table would be sent as a JSON array; the server expects an object.
  init_options = vim.empty_dict(),
}
local ok, qwen = pcall(require, 'qwen_lsp')
if ok then
  config.on_attach = qwen.on_attach
end
return config
