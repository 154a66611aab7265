// Packages the built extension into dist/qwen-lsp-<version>.vsix with @vscode/vsce (offline:
// no dependencies are resolved, the bundle already holds them).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'dist', `${name}-${version}.vsix`);
statSync(join(root, 'dist', 'extension.js')); // built first (npm run build)
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--skip-license',
    '--out',
    out,
  ],
  { cwd: root, stdio: 'inherit' },
);
console.log(`${out} (${statSync(out).size} bytes)`);
