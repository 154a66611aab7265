--- qwen-lsp for Neovim: the server configuration shared by `lsp/qwen_lsp.lua` (vim.lsp.config,
--- Neovim 0.11+) and the classic nvim-lspconfig form, plus what to do when it attaches: ghost-text
--- inline completions where Neovim has them (0.12+), completion items otherwise, and keymaps.
local M = {}

--- Keymaps set on attach (insert mode). Set an entry to false to leave that key alone.
M.keymaps = {
  accept = '<Tab>', -- inline completion (0.12+): accept the ghost text, else a normal <Tab>
  next = '<M-]>', -- inline completion: next suggestion
  prev = '<M-[>', -- inline completion: previous suggestion
  complete = '<C-Space>', -- fallback: ask for completion items now
}

--- Which completion UI this Neovim has: 'inline' (0.12+), 'completion' (0.11: vim.lsp.completion)
--- or 'omnifunc' (0.7 to 0.10).
function M.mode()
  if vim.lsp.inline_completion and vim.lsp.inline_completion.enable then
    return 'inline'
  elseif vim.lsp.completion and vim.lsp.completion.enable then
    return 'completion'
  end
  return 'omnifunc'
end

local function map(bufnr, lhs, rhs, desc, expr)
  if lhs then
    vim.api.nvim_buf_set_keymap(bufnr, 'i', lhs, '', {
      callback = rhs, expr = expr or false, noremap = true, silent = true, desc = desc,
    })
  end
end

--- Completion items can carry only one line (0.7's complete() turns newlines into NULs) or, in
--- 0.11's vim.lsp.completion, only the first word of a plain-text edit. When a qwen-lsp
--- suggestion is accepted, put its whole text in place of what was inserted.
function M.complete_done(bufnr)
  local event = vim.v.event
  if type(event) == 'table' and type(event.reason) == 'string' and event.reason ~= 'accept' then
    return
  end
  local item = vim.v.completed_item
  local data = type(item) == 'table' and type(item.user_data) == 'table' and item.user_data.nvim
  local lsp_item = data and data.lsp and data.lsp.completion_item
  if type(lsp_item) ~= 'table' or type(lsp_item.textEdit) ~= 'table'
      or not tostring(lsp_item.detail or ''):match('^qwen%-lsp') then
    return
  end
  local new_text = lsp_item.textEdit.newText
  local word = item.word or ''
  if word == new_text and not new_text:find('\n') then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1], cursor[2]
  local start_col = col - #word -- the word was inserted just before the cursor
  if start_col < 0 or vim.api.nvim_get_current_line():sub(start_col + 1, col):gsub('%z', '\n') ~= word then
    return
  end
  local lines = vim.split(new_text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row - 1, start_col, row - 1, col, lines)
  local last = lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row - 1 + #lines, (#lines == 1 and start_col or 0) + #last })
end

--- Called when qwen-lsp attaches to a buffer.
function M.on_attach(client, bufnr)
  local mode = M.mode()
  local keys = M.keymaps
  if mode == 'inline' then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    map(bufnr, keys.accept, function()
      if not vim.lsp.inline_completion.get() then
        return vim.api.nvim_replace_termcodes('<Tab>', true, false, true)
      end
      return ''
    end, 'qwen-lsp: accept the suggestion', true)
    map(bufnr, keys.next, function() vim.lsp.inline_completion.select({ count = 1 }) end,
      'qwen-lsp: next suggestion')
    map(bufnr, keys.prev, function() vim.lsp.inline_completion.select({ count = -1 }) end,
      'qwen-lsp: previous suggestion')
  elseif mode == 'completion' then
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = true })
    map(bufnr, keys.complete, function() vim.lsp.completion.get() end, 'qwen-lsp: complete')
  else
    vim.api.nvim_buf_set_option(bufnr, 'omnifunc', 'v:lua.vim.lsp.omnifunc')
    if keys.complete then
      vim.api.nvim_buf_set_keymap(bufnr, 'i', keys.complete, '<C-x><C-o>',
        { noremap = true, silent = true, desc = 'qwen-lsp: complete' })
    end
  end
  if mode ~= 'inline' then
    vim.api.nvim_create_autocmd('CompleteDone', {
      buffer = bufnr,
      group = vim.api.nvim_create_augroup('qwen_lsp_complete_' .. bufnr, { clear = true }),
      callback = function() M.complete_done(bufnr) end,
    })
  end
  vim.b[bufnr].qwen_lsp_completion = mode
end

--- The server configuration. `overrides` (cmd, init_options with the server's settings,
--- settings = { qwenLsp = ... }, on_attach, ...) are merged over the defaults.
function M.config(overrides)
  -- lsp/qwen_lsp.lua (on 'runtimepath') holds the command, filetypes and root markers.
  local file = vim.api.nvim_get_runtime_file('lsp/qwen_lsp.lua', false)[1]
  if not file then
    error('qwen_lsp: lsp/qwen_lsp.lua is not on runtimepath')
  end
  local base = dofile(file)
  base.name = 'qwen_lsp'
  base.on_attach = M.on_attach
  return vim.tbl_deep_extend('force', base, overrides or {})
end

--- The classic nvim-lspconfig server definition (`require('lspconfig.configs').qwen_lsp`).
function M.lspconfig_definition()
  local util_ok, util = pcall(require, 'lspconfig.util')
  local config = M.config()
  config.name = nil
  if util_ok then
    config.root_dir = util.root_pattern(unpack(config.root_markers or {}))
  end
  config.root_markers = nil
  return {
    default_config = config,
    docs = {
      description = 'qwen-lsp: local AI completions, diagnostics with fixes (pip install qwen-lsp).',
    },
  }
end

--- One call for a config: `require('qwen_lsp').setup({ init_options = { ... } })`.
--- Neovim 0.11+: vim.lsp.config + vim.lsp.enable. Older: nvim-lspconfig when installed, else a
--- FileType autocmd that starts the client itself.
function M.setup(overrides)
  overrides = overrides or {}
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config('qwen_lsp', overrides)
    vim.lsp.enable('qwen_lsp')
    return
  end
  local ok, lspconfig = pcall(require, 'lspconfig')
  if ok then
    local configs = require('lspconfig.configs')
    if not configs.qwen_lsp then
      configs.qwen_lsp = M.lspconfig_definition()
    end
    lspconfig.qwen_lsp.setup(overrides)
    return
  end
  local config = M.config(overrides)
  vim.api.nvim_create_autocmd('FileType', {
    pattern = config.filetypes,
    callback = function(args)
      M.start(config, args.buf)
    end,
  })
end

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while true do
    for _, marker in ipairs(markers or {}) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

--- Starts (or reuses) the client for a buffer with vim.lsp.start_client: the form for Neovim
--- 0.7 to 0.10 without nvim-lspconfig.
function M.start(config, bufnr)
  local root = find_root(vim.api.nvim_buf_get_name(bufnr), config.root_markers) or vim.fn.getcwd()
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    if client.name == 'qwen_lsp' and client.config.root_dir == root then
      vim.lsp.buf_attach_client(bufnr, client.id)
      return client.id
    end
  end
  local start_config = vim.tbl_extend('force', config, { root_dir = root })
  start_config.root_markers = nil
  start_config.filetypes = nil
  local id = vim.lsp.start_client(start_config)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

return M
