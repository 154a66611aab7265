/**
 * Where the extension finds `qwen-lsp`: the configured path, else the `qwen-lsp` script next to
 * the Python interpreter selected in the Python extension, else `qwen-lsp` on PATH.
 * No `vscode` import: tested under Node.
 */
import * as path from 'path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for the log. */
  source: 'setting' | 'python-environment' | 'path';
}

export interface ServerCommandInputs {
  /** `qwenLspClient.serverPath`: the `qwen-lsp` executable or a Python interpreter. */
  configuredPath: string;
  /** `qwenLspClient.serverArgs`: global options placed before `serve` (e.g. `--log-level debug`). */
  extraArgs: string[];
  /** The interpreter selected in the Python extension, if any. */
  pythonExecutable?: string;
  platform: NodeJS.Platform;
  exists: (file: string) => boolean;
}

const PYTHON = /^python(\d+(\.\d+)?)?(\.exe)?$/i;

export function resolveServerCommand(inputs: ServerCommandInputs): ServerCommand {
  const serve = [...inputs.extraArgs, 'serve'];
  const configured = inputs.configuredPath.trim();
  if (configured) {
    if (PYTHON.test(path.basename(configured))) {
      return { command: configured, args: ['-m', 'qwen_lsp', ...serve], source: 'setting' };
    }
    return { command: configured, args: serve, source: 'setting' };
  }
  if (inputs.pythonExecutable) {
    const script = path.join(
      path.dirname(inputs.pythonExecutable),
      inputs.platform === 'win32' ? 'qwen-lsp.exe' : 'qwen-lsp',
    );
    if (inputs.exists(script)) {
      return { command: script, args: serve, source: 'python-environment' };
    }
  }
  return { command: 'qwen-lsp', args: serve, source: 'path' };
}
