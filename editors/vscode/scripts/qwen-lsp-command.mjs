// How the build scripts and tests run qwen-lsp: $QWEN_LSP_COMMAND (a JSON array, e.g.
// ["/path/python", "-m", "qwen_lsp"]), else the repository's .venv, else `qwen-lsp` on PATH.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** @returns {string[]} the command that runs qwen-lsp, without its arguments */
export function qwenLspCommand() {
  const fromEnv = process.env.QWEN_LSP_COMMAND;
  if (fromEnv) {
    const parsed = JSON.parse(fromEnv);
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string')) {
      throw new Error('QWEN_LSP_COMMAND must be a JSON array of strings');
    }
    return parsed;
  }
  const venv = join(here, '..', '..', '..', '.venv', 'bin', 'qwen-lsp');
  return existsSync(venv) ? [venv] : ['qwen-lsp'];
}
