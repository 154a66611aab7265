// Builds the playground page into qwen_lsp/playground/static/ (shipped in the Python package, so
// `qwen-lsp playground` needs no npm): index.html, app.js + app.css (Monaco with only the editor
// features and languages the page uses), editor.worker.js and the codicon font.
// `--check` builds into a temporary folder and fails if the committed files differ.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '..', '..', 'qwen_lsp', 'playground', 'static');
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'qwen-playground-')) : target;

if (!check) {
  rmSync(out, { recursive: true, force: true });
}
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['chrome110', 'firefox110', 'safari16'],
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

await build({
  ...common,
  entryPoints: { app: join(root, 'src', 'main.ts') },
  outdir: out,
  format: 'esm',
  loader: { '.ttf': 'file' },
  assetNames: '[name]',
});
await build({
  ...common,
  entryPoints: { 'editor.worker': join(root, 'node_modules', 'monaco-editor', 'esm', 'vs', 'editor', 'editor.worker.js') },
  outdir: out,
  format: 'iife',
});
copyFileSync(join(root, 'src', 'index.html'), join(out, 'index.html'));

const files = readdirSync(out).sort();
const total = files.reduce((sum, name) => sum + statSync(join(out, name)).size, 0);
if (check) {
  const committed = readdirSync(target).sort();
  const differ = files.filter(
    (name) => !committed.includes(name) || !readFileSync(join(out, name)).equals(readFileSync(join(target, name))),
  );
  const extra = committed.filter((name) => !files.includes(name));
  rmSync(out, { recursive: true, force: true });
  if (differ.length || extra.length) {
    console.error(`qwen_lsp/playground/static is out of date (${[...differ, ...extra].join(', ')}): run npm run build`);
    process.exit(1);
  }
  console.log(`qwen_lsp/playground/static is current (${files.length} files, ${total} bytes)`);
} else {
  for (const name of files) {
    console.log(`${name.padEnd(20)} ${statSync(join(out, name)).size}`);
  }
  console.log(`total ${total} bytes in qwen_lsp/playground/static`);
}
