-- qwen-lsp for the classic nvim-lspconfig form: with this folder on 'runtimepath',
--   require('lspconfig').qwen_lsp.setup({ init_options = { ... } })
-- (nvim-lspconfig looks server definitions up as `lspconfig.configs.<name>`).
return require('qwen_lsp').lspconfig_definition()
