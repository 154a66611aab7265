/** Shared by the Node tests: how to run qwen-lsp and which model settings to test with. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(__dirname, '..', '..', '..', '..');

/** The command that runs qwen-lsp: $QWEN_LSP_COMMAND (JSON array), else the repository's .venv,
 * else `qwen-lsp` on PATH (same rule as scripts/qwen-lsp-command.mjs). */
export function qwenLspCommand(): string[] {
  const fromEnv = process.env['QWEN_LSP_COMMAND'];
  if (fromEnv) {
    return JSON.parse(fromEnv) as string[];
  }
  const venv = join(REPO, '.venv', 'bin', 'qwen-lsp');
  return existsSync(venv) ? [venv] : ['qwen-lsp'];
}

/**
 * The server settings the editor tests use, as initializationOptions. Under pytest they come from
 * tests/editors/support.py (`init_options()`, the one place to switch to the embedded model);
 * run alone, the same committed fixture model is used.
 */
export function testInitOptions(): Record<string, unknown> {
  const fromEnv = process.env['QWEN_LSP_TEST_INIT_OPTIONS'];
  if (fromEnv) {
    return JSON.parse(fromEnv) as Record<string, unknown>;
  }
  return {
    models: { byLanguage: { python: join(REPO, 'tests', 'fixtures', 'tiny_qwen2') } },
    completion: { syntaxCheck: false, nameCheck: false, minChars: 0, crossFile: false },
  };
}

/** Nested settings as VS Code's dotted keys (`qwenLsp.completion.minChars`), stopping at the
 * keys package.json declares (so object-valued settings such as models.byLanguage stay whole). */
export function dottedSettings(
  nested: Record<string, unknown>,
  declared: Set<string>,
  prefix = 'qwenLsp',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(nested)) {
    const name = `${prefix}.${key}`;
    if (!declared.has(name) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(out, dottedSettings(value as Record<string, unknown>, declared, name));
    } else {
      out[name] = value;
    }
  }
  return out;
}
