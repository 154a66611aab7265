// Writes package.json `contributes.configuration` from the server's own settings schema
// (`qwen-lsp settings --format vscode`), followed by the extension's client-only settings.
// `--check` only verifies that package.json is current (exit 1 otherwise).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { qwenLspCommand } from './qwen-lsp-command.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagePath = join(root, 'package.json');

/** Settings read by the extension only (section qwenLspClient, never sent to the server). */
const CLIENT_CONFIGURATION = {
  title: 'qwen-lsp: client',
  properties: {
    'qwenLspClient.serverPath': {
      type: 'string',
      default: '',
      scope: 'machine-overridable',
      description:
        'The qwen-lsp executable, or a Python interpreter that has qwen-lsp installed. Empty: the qwen-lsp next to the interpreter selected in the Python extension, else qwen-lsp on PATH.',
    },
    'qwenLspClient.serverArgs': {
      type: 'array',
      items: { type: 'string' },
      default: [],
      scope: 'machine-overridable',
      description: 'Global options put before `serve`, e.g. ["--log-level", "debug"].',
    },
    'qwenLspClient.trace.server': {
      type: 'string',
      enum: ['off', 'messages', 'verbose'],
      default: 'off',
      description: 'Trace the LSP messages in the qwen-lsp output channel.',
    },
  },
};

const [command, ...prefix] = qwenLspCommand();
const schema = JSON.parse(
  execFileSync(command, [...prefix, 'settings', '--format', 'vscode'], { encoding: 'utf8' }),
);
if (typeof schema.title !== 'string' || typeof schema.properties !== 'object') {
  throw new Error('qwen-lsp settings --format vscode did not print a configuration block');
}
for (const key of Object.keys(schema.properties)) {
  if (!key.startsWith('qwenLsp.')) {
    throw new Error(`server setting outside the qwenLsp section: ${key}`);
  }
}

const text = readFileSync(packagePath, 'utf8');
const pkg = JSON.parse(text);
pkg.contributes = { ...pkg.contributes, configuration: [schema, CLIENT_CONFIGURATION] };
const updated = JSON.stringify(pkg, null, 2) + '\n';

if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error('package.json contributes.configuration is out of date: run `npm run generate`');
    process.exit(1);
  }
  console.log(`package.json is current (${Object.keys(schema.properties).length} server settings)`);
} else {
  if (updated !== text) {
    writeFileSync(packagePath, updated);
  }
  console.log(`package.json: ${Object.keys(schema.properties).length} server settings from qwen-lsp`);
}
