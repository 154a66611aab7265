// Drives the playground in Debian's Chromium with playwright-core against a real
// `qwen-lsp playground`: types into Monaco, waits for ghost text and a diagnostic marker, takes
// the screenshot, applies the quick fix, accepts the ghost text, changes the max tokens, uses the
// "generate" box and the language picker. Writes what it saw as JSON (the pytest wrapper,
// tests/editors/test_playground.py, compares the completions with `qwen-lsp complete`).
//
//   node test/playground.mjs OUT.json [SCREENSHOT.png]
//
// Environment: QWEN_LSP_COMMAND (JSON array running qwen-lsp), QWEN_LSP_TEST_INIT_OPTIONS (the
// server settings the page sends), CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const [outPath, screenshotPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node test/playground.mjs OUT.json [SCREENSHOT.png]');
  process.exit(2);
}

function qwenLsp() {
  if (process.env.QWEN_LSP_COMMAND) return JSON.parse(process.env.QWEN_LSP_COMMAND);
  const venv = join(repo, '.venv', 'bin', 'qwen-lsp');
  return existsSync(venv) ? [venv] : ['qwen-lsp'];
}

const settings =
  process.env.QWEN_LSP_TEST_INIT_OPTIONS ??
  JSON.stringify({
    models: { byLanguage: { python: join(repo, 'tests', 'fixtures', 'tiny_qwen2') } },
    completion: { syntaxCheck: false, minChars: 0, crossFile: false },
  });

const result = { steps: [] };
const step = (name) => {
  result.steps.push(name);
  console.log(`- ${name}`);
};

const [command, ...prefix] = qwenLsp();
const server = spawn(command, [...prefix, 'playground', '--port', '0', '--settings', settings], {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: process.env,
});
let serverOutput = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`the playground did not start:\n${serverOutput}`)), 30000);
  const watch = (chunk) => {
    serverOutput += chunk.toString();
    const match = /qwen-lsp playground on (http:\/\/\S+)/.exec(serverOutput);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  };
  server.stdout.on('data', watch);
  server.stderr.on('data', watch);
  server.on('exit', (code) => reject(new Error(`qwen-lsp playground exited (${code}):\n${serverOutput}`)));
});
result.url = url;
step('server started');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
result.chromium = browser.version();
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
const consoleErrors = [];
page.on('console', (message) => {
  if (message.type() === 'error') consoleErrors.push(message.text());
});
page.on('pageerror', (error) => consoleErrors.push(`${error}\n${error.stack ?? ''}`));
const requests = [];
page.on('request', (request) => requests.push(request.url()));

const seen = () => page.evaluate(() => JSON.parse(JSON.stringify(window.qwenPlayground.seen)));
const text = () => page.evaluate(() => window.qwenPlayground.text);
const ghostText = () =>
  page.evaluate(() =>
    [...document.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text')]
      .map((element) => element.textContent)
      .join('\n'),
  );

try {
  await page.goto(url);
  await page.waitForFunction(() => window.qwenPlayground?.seen.initialized === true, null, { timeout: 30000 });
  result.connection = await page.textContent('#connection');
  step('page connected');

  // A known starting text (as if pasted), then type like a user.
  await page.evaluate(() =>
    window.qwenPlayground.openDocument(
      'python',
      'def area(width, height):\n    """Area of a rectangle."""\n    return width * height\n\n\n',
    ),
  );
  await page.click('.monaco-editor .view-lines');
  await page.keyboard.press('Control+End');
  // Monaco closes brackets as they are typed: delete the closing one it added, leaving `(` open.
  await page.keyboard.type('print(area(2, 3)');
  await page.keyboard.press('Delete');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.keyboard.type('def perimeter(width, height):');
  await page.keyboard.press('Enter');
  // Two letters: after a lone `r` this small model proposes an r-string docstring it never
  // closes (the editor tests run with the syntax check off), which swallows the file.
  await page.keyboard.type('re');
  step('typed');

  await page.waitForSelector('.squiggly-error', { timeout: 30000 });
  const afterTyping = await seen();
  result.diagnostics = afterTyping.diagnostics;
  step('diagnostic marker');

  const ghostShown = (timeout) =>
    page.waitForFunction(
      () =>
        // With the suggest widget open, Monaco draws the ghost text as a preview.
        [
          ...document.querySelectorAll(
            '.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text',
          ),
        ].some(
          (element) => (element.textContent ?? '').trim().length > 0,
        ),
      null,
      { timeout },
    );
  // Keep typing `return` until a suggestion shows, as a user would: what this small model
  // proposes after a given prefix can be nothing, and Monaco drops an answer that arrives after
  // the next key without asking again (so ask explicitly once per letter).
  const rest = 'turn';
  for (let i = 0; ; i += 1) {
    try {
      await ghostShown(6000);
      break;
    } catch (error) {
      result.ghost_triggers = (result.ghost_triggers ?? 0) + 1;
      await page.evaluate(() =>
        window.qwenPlayground.editor.trigger('test', 'editor.action.inlineSuggest.trigger', {}),
      );
      try {
        await ghostShown(6000);
        break;
      } catch (again) {
        if (i >= rest.length) throw again;
        await page.keyboard.type(rest[i]);
      }
    }
  }
  const atGhost = await seen();
  result.ghost = { dom: await ghostText(), ...atGhost.lastInline };
  result.buffer_at_ghost = await text();
  result.problems = await page.textContent('#problems');
  step('ghost text');
  await page.waitForFunction(() => window.qwenPlayground.seen.modelInfo?.loaded?.length > 0, null, { timeout: 15000 });
  result.model_panel = await page.textContent('#model-name');
  result.latency_panel = await page.textContent('#latency');
  if (screenshotPath) {
    await page.screenshot({ path: screenshotPath });
    result.screenshot = screenshotPath;
    step('screenshot');
  }

  // Accept the ghost text with Tab: the text goes in, and the item's command reaches the server.
  const before = await text();
  await page.evaluate(() => window.qwenPlayground.editor.focus());
  await page.keyboard.press('Tab');
  try {
    await page.waitForFunction((previous) => window.qwenPlayground.text !== previous, before, { timeout: 5000 });
  } catch {
    // Seen on this machine after explicit triggers: the ghost text shows, yet Monaco's Tab
    // binding is not armed. Run the command Tab is bound to (still Monaco's own accept path,
    // with the item's command), and record that it was needed.
    result.accepted_by_command = true;
    await page.evaluate(() =>
      window.qwenPlayground.editor.trigger('test', 'editor.action.inlineSuggest.commit', {}),
    );
    await page.waitForFunction((previous) => window.qwenPlayground.text !== previous, before, { timeout: 10000 });
  }
  result.accepted_text = await text();
  // The page runs qwen.acceptSuggestion, then refreshes qwen.modelInfo (or logs the error).
  // 30 s, like the first connection: on a loaded 2-core machine the server may be reading a
  // whole new prompt for the accepted text first (10 s ran out twice under a parallel job).
  await page.waitForFunction(
    () =>
      (window.qwenPlayground.seen.modelInfo?.accepted ?? 0) >= 1 ||
      window.qwenPlayground.seen.errors.some((e) => e.includes('acceptSuggestion')),
    null,
    { timeout: 30000 },
  );
  result.accept = {
    accepted: (await seen()).modelInfo?.accepted ?? 0,
    errors: (await seen()).errors.filter((e) => e.includes('acceptSuggestion')),
  };
  step('accepted');

  // The quick fix of the marker, through Monaco's code action UI (Ctrl+.).
  const diagnostic = afterTyping.diagnostics.find((d) => /never closed/.test(d.message));
  if (!diagnostic) throw new Error(`no "never closed" diagnostic: ${JSON.stringify(afterTyping.diagnostics)}`);
  result.fix_line = diagnostic.range.start.line;
  // The server's fixes are for the diagnostics of the current text: wait for those.
  await page.waitForFunction(
    () => window.qwenPlayground.seen.diagnosticsVersion === window.qwenPlayground.version,
    null,
    { timeout: 15000 },
  );
  // Select the marked text, then Ctrl+. as a user does.
  await page.evaluate((range) => {
    const { editor } = window.qwenPlayground;
    editor.setSelection({
      startLineNumber: range.start.line + 1,
      startColumn: range.start.character + 1,
      endLineNumber: range.end.line + 1,
      endColumn: range.end.character + 1,
    });
    editor.focus();
  }, diagnostic.range);
  await page.keyboard.press('Control+.');
  await page.waitForSelector('.action-widget .action-label, .action-widget .monaco-list-row', { timeout: 15000 });
  result.quick_fix_menu = await page.innerText('.action-widget .monaco-list');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => !window.qwenPlayground.seen.diagnostics.some((d) => /never closed/.test(d.message)),
    null,
    { timeout: 15000 },
  );
  result.fixed_line = await page.evaluate((line) => window.qwenPlayground.text.split('\n')[line], diagnostic.range.start.line);
  step('quick fix');

  // Max tokens from the panel: sent as settings, used by the next completion.
  await page.fill('#max-tokens', '3');
  await page.dispatchEvent('#max-tokens', 'change');
  await page.evaluate(() => {
    const { editor } = window.qwenPlayground;
    const model = editor.getModel();
    const end = model.getFullModelRange().getEndPosition();
    editor.executeEdits('test', [{ range: { startLineNumber: end.lineNumber, startColumn: end.column, endLineNumber: end.lineNumber, endColumn: end.column }, text: '\n\n\ndef volume(width, height, depth):\n    ' }]);
    editor.setPosition(model.getFullModelRange().getEndPosition());
    editor.focus();
  });
  await page.waitForTimeout(200);
  const requestsBefore = (await seen()).inlineRequests;
  await page.keyboard.type('w');
  await page.waitForFunction(
    (count) => window.qwenPlayground.seen.inlineRequests > count && window.qwenPlayground.seen.lastInline?.text.endsWith('    w'),
    requestsBefore,
    { timeout: 20000 },
  );
  result.max_tokens = { maxTokens: 3, ...(await seen()).lastInline };
  step('max tokens');
  await page.keyboard.press('Escape');

  // The "generate" box: the request becomes a comment at the cursor, the model writes below.
  await page.fill('#max-tokens', '24');
  await page.dispatchEvent('#max-tokens', 'change');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.fill('#generate-request', 'return the volume of the box');
  await page.click('#generate');
  await page.waitForFunction(() => window.qwenPlayground.seen.generated !== undefined, null, { timeout: 20000 });
  result.generate = { maxTokens: 24, ...(await seen()).generated };
  result.generate_status = await page.textContent('#generate-status');
  result.generated_highlight = await page.locator('.qwen-generated').count();
  step('generate');

  // The language picker: a JavaScript document replaces the Python one.
  await page.selectOption('#language', 'javascript');
  await page.waitForFunction(() => window.qwenPlayground.editor.getModel().getLanguageId() === 'javascript', null, {
    timeout: 10000,
  });
  result.javascript_uri = await page.evaluate(() => window.qwenPlayground.editor.getModel().uri.toString());
  step('language picker');

  const final = await seen();
  result.model_info = final.modelInfo;
  result.errors = final.errors;
  result.log = final.log;
  result.console_errors = consoleErrors;
  result.outside_requests = requests.filter((address) => !address.startsWith(url) && !address.startsWith('data:'));
} catch (error) {
  result.error = String(error?.stack ?? error);
  try {
    const state = await seen();
    result.log = state.log;
    result.code_actions_seen = state.codeActions;
    result.diagnostics_at_failure = state.diagnostics;
    result.inline_requests_at_failure = state.inlineRequests;
    result.last_inline_at_failure = state.lastInline;
    result.version_at_failure = await page.evaluate(() => window.qwenPlayground.version);
    if (screenshotPath) await page.screenshot({ path: screenshotPath.replace(/\.png$/, '-failure.png') });
  } catch {
    // the page is gone
  }
} finally {
  await browser.close();
  server.kill('SIGINT');
  writeFileSync(outPath, JSON.stringify(result, null, 2));
}
process.exit(result.error ? 1 : 0);
