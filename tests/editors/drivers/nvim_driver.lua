-- Drives a real headless Neovim against qwen-lsp (run by tests/editors/test_nvim.py):
-- start the client (QWEN_NVIM_FORM = "start_client": require('qwen_lsp').start, i.e.
-- vim.lsp.start_client, the 0.7 form; "config": vim.lsp.config + vim.lsp.enable reading
-- lsp/qwen_lsp.lua, the 0.11 form), open a file, wait for the server's diagnostics, then type in
-- insert mode and ask for completion the way a user would (0.7: <C-x><C-o> through the
-- omnifunc; 0.11: the plugin's <C-Space> through vim.lsp.completion) and record the popup's
-- items. Writes JSON to $QWEN_NVIM_OUT and quits.
local env = vim.env
local out_path = env.QWEN_NVIM_OUT
local result = { version = vim.version(), steps = {} }

local function finish(err)
  if err then
    result.error = err
  end
  local file = io.open(out_path, 'w')
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd('stopinsert')
  vim.schedule(function()
    vim.cmd('qa!')
  end)
end

local function step(name)
  table.insert(result.steps, name)
end

-- Messages Neovim shows (errors from the client included).
result.messages = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(result.messages, { msg = tostring(msg), level = level })
  return notify(msg, level, opts)
end

local ok, err = pcall(function()
  vim.opt.runtimepath:prepend(env.QWEN_NVIM_RTP)
  vim.cmd('filetype on')
  vim.o.swapfile = false
  vim.o.shortmess = vim.o.shortmess .. 'F'
  local qwen = require('qwen_lsp')
  step('required qwen_lsp')
  -- The classic nvim-lspconfig definition loads too (nvim-lspconfig itself is not installed).
  local definition = dofile(vim.api.nvim_get_runtime_file('lua/lspconfig/configs/qwen_lsp.lua', false)[1])
  result.lspconfig_cmd = definition.default_config.cmd
  result.lspconfig_filetypes = #definition.default_config.filetypes
  step('loaded lspconfig definition')

  local init_options = vim.fn.json_decode(env.QWEN_LSP_TEST_INIT_OPTIONS)
  local form = env.QWEN_NVIM_FORM
  if form == 'config' then
    vim.lsp.config('qwen_lsp', { init_options = init_options })
    vim.lsp.enable('qwen_lsp')
    vim.cmd('edit ' .. vim.fn.fnameescape(env.QWEN_NVIM_FILE))
  else
    vim.cmd('edit ' .. vim.fn.fnameescape(env.QWEN_NVIM_FILE))
    result.client_id = qwen.start(qwen.config({ init_options = init_options }), 0)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  local function clients()
    if vim.lsp.get_clients then
      return vim.lsp.get_clients({ bufnr = bufnr, name = 'qwen_lsp' })
    end
    return vim.lsp.buf_get_clients(bufnr)
  end
  if not vim.wait(20000, function() return #clients() > 0 and clients()[1].initialized end, 50) then
    -- 0.7 has no `initialized` field: attached is enough there.
    if #clients() == 0 then
      error('the client did not attach')
    end
  end
  local client = clients()[1]
  result.server_name = client.server_capabilities and client.server_capabilities.inlineCompletionProvider ~= nil
  step('attached')

  if not vim.wait(30000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50) then
    error('no diagnostics arrived')
  end
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, source = d.source })
  end
  step('diagnostics')
  result.completion_mode = vim.b[bufnr].qwen_lsp_completion
  vim.api.nvim_create_autocmd('CompleteDone', {
    buffer = bufnr,
    callback = function()
      local item = vim.v.completed_item
      result.completed = {
        word = item and item.word,
        has_user_data = item and item.user_data ~= nil,
        user_data_type = item and type(item.user_data),
        reason = type(vim.v.event) == 'table' and vim.v.event.reason or vim.NIL,
      }
    end,
  })
  result.omnifunc = vim.bo[bufnr].omnifunc

  -- Always show the menu and insert nothing until accepted (what completion users set): with
  -- Neovim's default 'menu,preview', a single match is inserted at once and the <C-y> below
  -- would then be insert-mode CTRL-Y, which copies the character above the cursor.
  vim.o.completeopt = 'menuone,noinsert'
  -- Type like a user: go to the end of the completion line, insert mode, ask for completion.
  local line = tonumber(env.QWEN_NVIM_LINE)
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  local keys = result.completion_mode == 'completion' and '<C-Space>' or '<C-x><C-o>'
  result.keys = keys
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('A' .. keys, true, false, true), 'm', false)
  local deadline = vim.loop.now() + 30000
  local function poll()
    local info = vim.fn.complete_info({ 'items', 'mode' })
    if info.items and #info.items > 0 then
      result.mode = vim.fn.mode()
      result.complete_mode = info.mode
      result.items = {}
      for _, item in ipairs(info.items) do
        local lsp_item = type(item.user_data) == 'table' and item.user_data.nvim
          and item.user_data.nvim.lsp and item.user_data.nvim.lsp.completion_item
        table.insert(result.items, {
          word = item.word, abbr = item.abbr, menu = item.menu, kind = item.kind,
          new_text = lsp_item and lsp_item.textEdit and lsp_item.textEdit.newText or nil,
        })
      end
      step('completion items')
      -- Accept the first item (<C-y>) and read the line back once CompleteDone has run.
      local before = vim.api.nvim_get_current_line()
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<C-y>', true, false, true), 'm', false)
      local function accepted()
        if not result.completed or vim.api.nvim_get_current_line() == before then
          if vim.loop.now() > deadline then
            return finish('the accepted item did not change the line')
          end
          return vim.defer_fn(accepted, 50)
        end
        result.lines_after_accept = vim.api.nvim_buf_get_lines(0, line - 1, -1, false)
        step('accepted')
        if result.completion_mode ~= 'completion' then
          return finish() -- the omnifunc does not run an item's command
        end
        -- vim.lsp.completion runs the item's command (qwen.acceptSuggestion): wait for the
        -- server to count it, or for the error Neovim shows when the server refuses it.
        local function counted()
          local response = client.request_sync('workspace/executeCommand',
            { command = 'qwen.modelInfo' }, 5000, bufnr)
          result.accepted_count = response and response.result and response.result.accepted
          if (result.accepted_count or 0) >= 1 or #result.messages > 0 or vim.loop.now() > deadline then
            return finish()
          end
          vim.defer_fn(counted, 100)
        end
        counted()
      end
      vim.defer_fn(accepted, 50)
    elseif vim.loop.now() > deadline then
      result.mode = vim.fn.mode()
      finish('no completion items appeared (mode ' .. vim.fn.mode() .. ')')
    else
      vim.defer_fn(poll, 50)
    end
  end
  vim.defer_fn(poll, 50)
end)
if not ok then
  finish(tostring(err))
end
