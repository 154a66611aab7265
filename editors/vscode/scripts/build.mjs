// Bundles the extension (dist/extension.js) and the Node tests (out/test/*.test.js) with esbuild.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'src', 'extension.ts')],
  outfile: join(root, 'dist', 'extension.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});

const tests = readdirSync(join(root, 'test'))
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => join(root, 'test', name));
await build({
  entryPoints: tests,
  outdir: join(root, 'out', 'test'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The tests load vscode-languageclient and the protocol libraries from node_modules, as the
  // extension host would; `vscode` is provided by test/vscode-host.ts.
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`bundled dist/extension.js and ${tests.length} test files`);
