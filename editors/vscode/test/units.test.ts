/** The extension's pure parts: the status bar model, where the server is found, command arguments. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  explainLogArguments,
  generateTestsArguments,
  initializationOptions,
  renderResult,
  serverHasCommand,
} from '../src/protocol';
import { resolveServerCommand } from '../src/serverCommand';
import { ModelStatus } from '../src/status';

test('status: starting, idle, loading, loaded with latency, failed, off, unloaded', () => {
  const status = new ModelStatus();
  assert.equal(status.view().state, 'stopped');
  status.serverState('starting');
  assert.equal(status.view().state, 'starting');
  status.serverState('running');
  assert.equal(status.view().state, 'idle');
  assert.equal(status.progressBegin('t1', 'Indexing shop'), false);
  assert.equal(status.view().state, 'idle');
  assert.equal(status.progressBegin('t2', 'Loading model tiny'), true);
  assert.deepEqual([status.view().state, status.view().text], ['loading', '$(sync~spin) qwen: loading tiny']);
  status.progressEnd('t2', 'tiny loaded in 0.2 s');
  status.latency(84.6);
  assert.deepEqual([status.view().state, status.view().text], ['loaded', '$(check) qwen: tiny · 85 ms']);
  status.modelInfo({ loaded: [{ name: 'tiny', latency_ms_p50: 40.2, last_latencies_ms: [38.0, 41.5] }] });
  assert.match(status.view().tooltip, /engine p50 40 ms, last 42 ms/);
  status.modelInfo({ loaded: [] });
  assert.equal(status.view().state, 'idle');
  status.progressBegin('t3', 'Loading model broken');
  status.progressEnd('t3', 'broken failed');
  assert.equal(status.view().state, 'failed');
  status.completionsEnabled(false);
  assert.equal(status.view().text, '$(circle-slash) qwen: off');
  status.completionsEnabled(true);
  status.serverState('stopped');
  assert.equal(status.view().state, 'stopped');
  status.latency(1500);
  status.serverState('running');
  status.modelInfo({ loaded: [{ name: 'a' }, { name: 'b' }] });
  assert.equal(status.view().text, '$(check) qwen: a, b · 1.5 s');
});

test('server command: setting, then the selected Python environment, then PATH', () => {
  const none = () => false;
  assert.deepEqual(
    resolveServerCommand({ configuredPath: '/opt/q/bin/qwen-lsp', extraArgs: ['--log-level', 'debug'], platform: 'linux', exists: none }),
    { command: '/opt/q/bin/qwen-lsp', args: ['--log-level', 'debug', 'serve'], source: 'setting' },
  );
  assert.deepEqual(
    resolveServerCommand({ configuredPath: '/venv/bin/python3.11', extraArgs: [], platform: 'linux', exists: none }),
    { command: '/venv/bin/python3.11', args: ['-m', 'qwen_lsp', 'serve'], source: 'setting' },
  );
  assert.deepEqual(
    resolveServerCommand({
      configuredPath: '',
      extraArgs: [],
      pythonExecutable: '/home/dev/project/.venv/bin/python',
      platform: 'linux',
      exists: (file) => file === '/home/dev/project/.venv/bin/qwen-lsp',
    }),
    { command: '/home/dev/project/.venv/bin/qwen-lsp', args: ['serve'], source: 'python-environment' },
  );
  assert.deepEqual(
    resolveServerCommand({ configuredPath: '', extraArgs: [], pythonExecutable: '/usr/bin/python3', platform: 'linux', exists: none }),
    { command: 'qwen-lsp', args: ['serve'], source: 'path' },
  );
});

test('command arguments and results', () => {
  assert.deepEqual(explainLogArguments({ text: 'Traceback ...' }), [{ text: 'Traceback ...' }]);
  assert.deepEqual(explainLogArguments({ uri: 'file:///w/app.log', text: 'ignored' }), [{ uri: 'file:///w/app.log' }]);
  assert.throws(() => explainLogArguments({ text: '  \n' }), /nothing to explain/);
  assert.deepEqual(generateTestsArguments('file:///a.py', 3, 4), [{ uri: 'file:///a.py', position: { line: 3, character: 4 } }]);
  assert.equal(serverHasCommand({ executeCommandProvider: { commands: ['qwen.modelInfo'] } }, 'qwen.modelInfo'), true);
  assert.equal(serverHasCommand({ executeCommandProvider: { commands: ['qwen.modelInfo'] } }, 'qwen.generateTests'), false);
  assert.equal(serverHasCommand(undefined, 'qwen.modelInfo'), false);
  assert.equal(renderResult('T', 'plain'), '# T\n\nplain\n');
  assert.match(renderResult('T', { markdown: '**x**' }), /\*\*x\*\*/);
  assert.match(renderResult('T', { a: 1 }), /```json\n\{\n {2}"a": 1\n\}\n```/);
  const explained = renderResult('Log', {
    explanations: [
      { error: 'TypeError: bad operand', path: 'app.py', line: 3, function: 'area', cause: 'A str met an int.', steps: ['Convert it.'], fix: 'Wrap in int()', corrected_line: 'int(x) * y', call_chain: ['main.py:9', 'app.py:3'] },
    ],
    files: ['file:///w/app.py'],
  });
  assert.match(explained, /## TypeError: bad operand\n\nAt app.py:3 \(in `area`\)\.\n\nA str met an int\.\n\n- Convert it\.\n\n\*\*Fix:\*\* Wrap in int\(\)/);
  assert.match(explained, /Call chain: main.py:9 → app.py:3/);
  assert.match(renderResult('Log', { explanations: [] }), /No errors or tracebacks found/);
  assert.deepEqual(initializationOptions({ completion: { maxTokens: 8 }, get: () => 1 }), { completion: { maxTokens: 8 } });
});
