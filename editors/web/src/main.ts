/**
 * The qwen-lsp playground: Monaco talking LSP to the real server over a WebSocket. Ghost-text
 * inline completions, diagnostics as markers, quick fixes as code actions; a side panel with the
 * language, temperature and max tokens (sent as settings), the loaded model and its latency, and
 * a "generate" box (a request becomes a comment at the cursor, the model continues below it).
 */
import * as monaco from 'monaco-editor/editor/editor.api.js';
import 'monaco-editor/features/inlineCompletions/register.js';
import 'monaco-editor/features/hover/register.js';
import 'monaco-editor/features/codeAction/register.js';
import 'monaco-editor/features/gotoError/register.js';
import 'monaco-editor/features/bracketMatching/register.js';
import 'monaco-editor/features/clipboard/register.js';
import 'monaco-editor/features/comment/register.js';
import 'monaco-editor/features/contextmenu/register.js';
import 'monaco-editor/features/find/register.js';
import 'monaco-editor/features/indentation/register.js';
import 'monaco-editor/features/linesOperations/register.js';
import 'monaco-editor/features/wordOperations/register.js';
import 'monaco-editor/languages/definitions/python/register.js';
import 'monaco-editor/languages/definitions/javascript/register.js';
import 'monaco-editor/languages/definitions/typescript/register.js';
import 'monaco-editor/languages/definitions/go/register.js';
import 'monaco-editor/languages/definitions/rust/register.js';
import 'monaco-editor/languages/definitions/java/register.js';
import 'monaco-editor/languages/definitions/cpp/register.js';
import 'monaco-editor/languages/definitions/csharp/register.js';
import 'monaco-editor/languages/definitions/ruby/register.js';
import 'monaco-editor/languages/definitions/shell/register.js';
import 'monaco-editor/languages/definitions/lua/register.js';

import { LANGUAGES, type PlaygroundLanguage, generatePrompt, languageById } from './languages';
import { LspConnection, isCancelled } from './lsp';
import './style.css';

// --- LSP types used here (the subset the page needs) -------------------------------------------

interface LspPosition {
  line: number;
  character: number;
}
interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
interface LspDiagnostic {
  range: LspRange;
  severity?: number;
  code?: string | number;
  source?: string;
  message: string | { kind: string; value: string };
}
interface LspCommand {
  title: string;
  command: string;
  arguments?: unknown[];
}
interface LspInlineItem {
  insertText: string | { kind: string; value: string };
  range?: LspRange;
  command?: LspCommand;
}
interface LspTextEdit {
  range: LspRange;
  newText: string;
}
interface LspCodeAction {
  title: string;
  kind?: string;
  isPreferred?: boolean;
  diagnostics?: LspDiagnostic[];
  edit?: { changes?: Record<string, LspTextEdit[]> };
  command?: LspCommand;
}
interface ModelInfo {
  loaded: { name: string; latency_ms_p50?: number | null; last_latencies_ms?: number[]; quantization?: string }[];
  requests?: number;
  accepted?: number;
}
interface PageConfig {
  initializationOptions: Record<string, unknown>;
  lspPath: string;
}

// --- state -------------------------------------------------------------------------------------

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) {
    throw new Error(`missing #${id}`);
  }
  return element as T;
};

const ui = {
  editor: $('editor'),
  connection: $('connection'),
  language: $<HTMLSelectElement>('language'),
  temperature: $<HTMLInputElement>('temperature'),
  temperatureValue: $<HTMLOutputElement>('temperature-value'),
  maxTokens: $<HTMLInputElement>('max-tokens'),
  modelName: $('model-name'),
  modelDetail: $('model-detail'),
  latency: $('latency'),
  request: $<HTMLTextAreaElement>('generate-request'),
  generate: $<HTMLButtonElement>('generate'),
  generateStatus: $('generate-status'),
  problems: $('problems'),
  log: $('log'),
};

/** What the page saw, for people (the panel) and for the browser test (window.qwenPlayground). */
const seen = {
  connected: false,
  initialized: false,
  inlineRequests: 0,
  /** The last inline completion answered with items: the text and cursor it was asked for. */
  lastInline: undefined as
    | { text: string; position: LspPosition; items: { insertText: string; range?: LspRange }[] }
    | undefined,
  lastLatencyMs: undefined as number | undefined,
  diagnostics: [] as LspDiagnostic[],
  /** The document version the diagnostics are for. */
  diagnosticsVersion: 0,
  modelInfo: undefined as ModelInfo | undefined,
  codeActions: [] as string[],
  generated: undefined as { text: string; position: LspPosition; insertText: string } | undefined,
  errors: [] as string[],
  log: [] as string[],
};

let connection: LspConnection | undefined;
let language: PlaygroundLanguage = LANGUAGES[0] as PlaygroundLanguage;
let model: monaco.editor.ITextModel | undefined;
let version = 1;
let baseOptions: Record<string, unknown> = {};

function log(message: string, kind: 'info' | 'error' = 'info'): void {
  const line = `${new Date().toLocaleTimeString()} ${message}`;
  seen.log.push(line);
  if (kind === 'error') {
    seen.errors.push(message);
  }
  const item = document.createElement('li');
  item.textContent = line;
  item.className = kind;
  ui.log.prepend(item);
  while (ui.log.childElementCount > 50) {
    ui.log.lastElementChild?.remove();
  }
}

// --- conversions --------------------------------------------------------------------------------

const toLsp = (position: monaco.IPosition): LspPosition => ({
  line: position.lineNumber - 1,
  character: position.column - 1,
});
const toMonacoRange = (range: LspRange): monaco.IRange => ({
  startLineNumber: range.start.line + 1,
  startColumn: range.start.character + 1,
  endLineNumber: range.end.line + 1,
  endColumn: range.end.character + 1,
});
const text = (value: string | { value: string }): string => (typeof value === 'string' ? value : value.value);
const uriOf = (lang: PlaygroundLanguage): string => `file:///playground/main.${lang.extension}`;

const SEVERITY: Record<number, monaco.MarkerSeverity> = {
  1: monaco.MarkerSeverity.Error,
  2: monaco.MarkerSeverity.Warning,
  3: monaco.MarkerSeverity.Info,
  4: monaco.MarkerSeverity.Hint,
};

// --- settings -----------------------------------------------------------------------------------

/** The panel's settings, as the server's `qwenLsp` section. */
function panelSettings(): Record<string, unknown> {
  return {
    completion: {
      temperature: Number(ui.temperature.value),
      maxTokens: Math.max(1, Math.min(512, Math.round(Number(ui.maxTokens.value) || 64))),
    },
  };
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof current === 'object' && current !== null
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

function settingsChanged(): void {
  ui.temperatureValue.value = Number(ui.temperature.value).toFixed(2);
  if (connection?.open && seen.initialized) {
    // The server answers with workspace/configuration, which returns the panel's values.
    connection.notify('workspace/didChangeConfiguration', { settings: { qwenLsp: panelSettings() } });
    log(`settings: temperature ${ui.temperature.value}, max tokens ${ui.maxTokens.value}`);
  }
}

// --- model info and latency ---------------------------------------------------------------------

let infoTimer: number | undefined;
function refreshModelInfo(): void {
  if (infoTimer !== undefined) {
    return;
  }
  infoTimer = window.setTimeout(async () => {
    infoTimer = undefined;
    if (!connection?.open) {
      return;
    }
    try {
      const info = await connection.request<ModelInfo>('workspace/executeCommand', { command: 'qwen.modelInfo' });
      seen.modelInfo = info;
      const first = info.loaded[0];
      ui.modelName.textContent = first ? info.loaded.map((m) => m.name).join(', ') : 'none loaded yet';
      ui.modelDetail.textContent = first
        ? `${first.quantization ?? ''} · engine p50 ${first.latency_ms_p50 ?? '?'} ms · ${info.requests ?? 0} request${info.requests === 1 ? "" : "s"}`
        : '';
    } catch (error) {
      log(`qwen.modelInfo: ${String(error)}`, 'error');
    }
  }, 300);
}

function showLatency(ms: number): void {
  seen.lastLatencyMs = ms;
  ui.latency.textContent = `last completion ${Math.round(ms)} ms`;
}

// --- diagnostics ----------------------------------------------------------------------------------

function showDiagnostics(params: { uri: string; version?: number; diagnostics: LspDiagnostic[] }): void {
  if (!model || params.uri !== uriOf(language)) {
    return;
  }
  if (params.version !== undefined && params.version !== null && params.version !== version) {
    return; // for an older text
  }
  seen.diagnostics = params.diagnostics;
  seen.diagnosticsVersion = params.version ?? version;
  monaco.editor.setModelMarkers(
    model,
    'qwen-lsp',
    params.diagnostics.map((d) => ({
      ...toMonacoRange(d.range),
      severity: SEVERITY[d.severity ?? 1] ?? monaco.MarkerSeverity.Error,
      message: text(d.message),
      source: d.source ?? 'qwen-lsp',
      code: d.code !== undefined ? String(d.code) : undefined,
    })),
  );
  ui.problems.replaceChildren(
    ...params.diagnostics.map((d) => {
      const item = document.createElement('li');
      item.textContent = `${d.range.start.line + 1}:${d.range.start.character + 1} ${text(d.message)}`;
      item.addEventListener('click', () => {
        editor.setPosition({ lineNumber: d.range.start.line + 1, column: d.range.start.character + 1 });
        editor.focus();
      });
      return item;
    }),
  );
  if (params.diagnostics.length === 0) {
    const item = document.createElement('li');
    item.textContent = 'No problems';
    item.className = 'none';
    ui.problems.append(item);
  }
}

// --- editor ---------------------------------------------------------------------------------------

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: () => new Worker(new URL('editor.worker.js', document.baseURI)),
};

const editor = monaco.editor.create(ui.editor, {
  automaticLayout: true,
  fontSize: 14,
  minimap: { enabled: false },
  theme: 'vs-dark',
  // Ghost text is the point here, and the page wires no completion list of the server's: the
  // word-suggestion list is off. Suppressing it while ghost text shows was not enough: on a cold
  // start the list opened before the ghost text came, drew its word as a preview in front of
  // it, and Tab took the list's word instead of the suggestion.
  wordBasedSuggestions: 'off',
  inlineSuggest: { enabled: true, suppressSuggestions: true },
  lightbulb: { enabled: monaco.editor.ShowLightbulbIconMode.OnCode },
  scrollBeyondLastLine: false,
  renderWhitespace: 'none',
  tabSize: 4,
});

function openDocument(next: PlaygroundLanguage, content?: string): void {
  if (model && connection?.open && seen.initialized) {
    connection.notify('textDocument/didClose', { textDocument: { uri: uriOf(language) } });
  }
  // The old model goes once the editor shows the new one (a model of the same URI must go first).
  const previous = model;
  if (previous && previous.uri.toString() === uriOf(next)) {
    previous.dispose();
  }
  language = next;
  version = 1;
  model = monaco.editor.createModel(content ?? next.sample, next.monaco, monaco.Uri.parse(uriOf(next)));
  model.updateOptions({ tabSize: next.id === 'go' ? 4 : next.sample.includes('\n    ') ? 4 : 2, insertSpaces: next.id !== 'go' });
  seen.diagnostics = [];
  ui.problems.replaceChildren();
  // The server hears of the document before the editor asks anything about it.
  if (connection?.open && seen.initialized) {
    connection.notify('textDocument/didOpen', {
      textDocument: { uri: uriOf(next), languageId: next.id, version, text: model.getValue() },
    });
  }
  model.onDidChangeContent((event) => {
    version += 1;
    if (!connection?.open || !seen.initialized || !model) {
      return;
    }
    const contentChanges =
      event.changes.length === 1
        ? event.changes.map((change) => ({
            range: { start: toLsp({ lineNumber: change.range.startLineNumber, column: change.range.startColumn }), end: toLsp({ lineNumber: change.range.endLineNumber, column: change.range.endColumn }) },
            rangeLength: change.rangeLength,
            text: change.text,
          }))
        : [{ text: model.getValue() }];
    connection.notify('textDocument/didChange', { textDocument: { uri: uriOf(language), version }, contentChanges });
  });
  editor.setModel(model);
  if (previous && !previous.isDisposed()) {
    previous.dispose();
  }
  editor.setPosition(model.getFullModelRange().getEndPosition());
  editor.focus();
}

monaco.editor.registerCommand('qwen.acceptSuggestion', (_accessor, ...args: unknown[]) => {
  void connection
    ?.request('workspace/executeCommand', { command: 'qwen.acceptSuggestion', arguments: args })
    .then(refreshModelInfo)
    .catch((error: unknown) => log(`qwen.acceptSuggestion: ${String(error)}`, 'error'));
});

async function inlineItems(
  position: monaco.IPosition,
  triggerKind: 1 | 2,
  token?: monaco.CancellationToken,
): Promise<LspInlineItem[]> {
  if (!connection?.open || !seen.initialized) {
    return [];
  }
  const started = performance.now();
  const asked = { text: model?.getValue() ?? '', position: toLsp(position) };
  seen.inlineRequests += 1;
  const result = await connection.request<{ items: LspInlineItem[] } | LspInlineItem[] | null>(
    'textDocument/inlineCompletion',
    { textDocument: { uri: uriOf(language) }, position: toLsp(position), context: { triggerKind } },
    token,
  );
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  if (items.length > 0) {
    showLatency(performance.now() - started);
    refreshModelInfo();
    seen.lastInline = {
      ...asked,
      items: items.map((item) => ({ insertText: text(item.insertText), range: item.range })),
    };
  }
  return items;
}

monaco.languages.registerInlineCompletionsProvider('*', {
  async provideInlineCompletions(target, position, context, token) {
    if (target !== model) {
      return { items: [] };
    }
    try {
      const items = await inlineItems(
        position,
        context.triggerKind === monaco.languages.InlineCompletionTriggerKind.Explicit ? 1 : 2,
        token,
      );
      return {
        items: items.map((item) => ({
          insertText: text(item.insertText),
          range: item.range ? toMonacoRange(item.range) : undefined,
          command: item.command
            ? { id: item.command.command, title: item.command.title, arguments: item.command.arguments ?? [] }
            : undefined,
        })),
      };
    } catch (error) {
      if (!isCancelled(error)) {
        log(String(error), 'error');
      }
      return { items: [] };
    }
  },
  disposeInlineCompletions() {},
});

monaco.languages.registerCodeActionProvider('*', {
  async provideCodeActions(target, range) {
    if (target !== model || !connection?.open || !seen.initialized) {
      return { actions: [], dispose() {} };
    }
    const lspRange: LspRange = {
      start: toLsp({ lineNumber: range.startLineNumber, column: range.startColumn }),
      end: toLsp({ lineNumber: range.endLineNumber, column: range.endColumn }),
    };
    const touching = seen.diagnostics.filter(
      (d) => d.range.start.line <= lspRange.end.line && d.range.end.line >= lspRange.start.line,
    );
    try {
      const actions =
        (await connection.request<LspCodeAction[] | null>('textDocument/codeAction', {
          textDocument: { uri: uriOf(language) },
          range: lspRange,
          context: { diagnostics: touching, triggerKind: 2 },
        })) ?? [];
      seen.codeActions = actions.map((a) => a.title);
      const uri = uriOf(language);
      return {
        actions: actions.map((action) => ({
          title: action.title,
          kind: action.kind,
          isPreferred: action.isPreferred,
          diagnostics: (action.diagnostics ?? []).map((d) => ({
            ...toMonacoRange(d.range),
            severity: SEVERITY[d.severity ?? 1] ?? monaco.MarkerSeverity.Error,
            message: text(d.message),
          })),
          edit: {
            edits: (action.edit?.changes?.[uri] ?? []).map((edit) => ({
              resource: target.uri,
              textEdit: { range: toMonacoRange(edit.range), text: edit.newText },
              versionId: undefined,
            })),
          },
        })),
        dispose() {},
      };
    } catch (error) {
      log(String(error), 'error');
      return { actions: [], dispose() {} };
    }
  },
});

// --- generate -------------------------------------------------------------------------------------

let generatedDecorations: monaco.editor.IEditorDecorationsCollection | undefined;

async function generate(): Promise<void> {
  const request = ui.request.value.trim();
  if (!request || !model) {
    ui.generateStatus.textContent = 'Describe what to write first.';
    return;
  }
  const position = editor.getPosition() ?? model.getFullModelRange().getEndPosition();
  const line = model.getLineContent(position.lineNumber);
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  // A blank line becomes the comment; below a line with code, the comment starts a new line.
  const end = { lineNumber: position.lineNumber, column: line.length + 1 };
  const start = line.trim() ? end : { lineNumber: position.lineNumber, column: 1 };
  const prompt = (line.trim() ? '\n' : '') + generatePrompt(request, language.comment, indent);
  editor.executeEdits('qwen-generate', [
    { range: monaco.Range.fromPositions(start, end), text: prompt, forceMoveMarkers: true },
  ]);
  const cursor = editor.getPosition() ?? position;
  ui.generate.disabled = true;
  ui.generateStatus.textContent = 'Generating…';
  try {
    const started = performance.now();
    const asked = { text: model.getValue(), position: toLsp(cursor) };
    const items = await inlineItems(cursor, 1);
    const item = items[0];
    if (!item) {
      ui.generateStatus.textContent = 'The model suggested nothing here.';
      return;
    }
    const insert = text(item.insertText);
    const range = item.range ? monaco.Range.lift(toMonacoRange(item.range)) : monaco.Range.fromPositions(cursor);
    editor.executeEdits('qwen-generate', [{ range, text: insert, forceMoveMarkers: true }]);
    const end = editor.getPosition() ?? cursor;
    generatedDecorations?.clear();
    generatedDecorations = editor.createDecorationsCollection([
      {
        range: monaco.Range.fromPositions(range.getStartPosition(), end),
        options: { inlineClassName: 'qwen-generated', className: 'qwen-generated-line', isWholeLine: false },
      },
    ]);
    seen.generated = { ...asked, insertText: insert };
    const lines = insert.split('\n').length;
    ui.generateStatus.textContent = `Inserted ${lines} line${lines === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms.`;
    if (item.command) {
      // Inserting the suggestion is accepting it: run its command, as the editor does on Tab.
      connection
        ?.request('workspace/executeCommand', { command: item.command.command, arguments: item.command.arguments ?? [] })
        .then(refreshModelInfo)
        .catch((error: unknown) => log(`${item.command?.command}: ${String(error)}`, 'error'));
    }
  } catch (error) {
    ui.generateStatus.textContent = `Failed: ${String(error)}`;
    log(String(error), 'error');
  } finally {
    ui.generate.disabled = false;
    editor.focus();
  }
}

// --- connection -----------------------------------------------------------------------------------

function setConnection(state: string, ok: boolean): void {
  ui.connection.textContent = state;
  ui.connection.className = ok ? 'ok' : 'bad';
}

async function connect(config: PageConfig): Promise<void> {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const lsp = await LspConnection.open(`${scheme}://${location.host}${config.lspPath}`);
  connection = lsp;
  seen.connected = true;
  setConnection('connected', true);
  lsp.onClose((reason) => {
    seen.connected = false;
    setConnection(reason, false);
    log(reason, 'error');
  });
  lsp.onRequest('workspace/configuration', (params) =>
    ((params as { items: { section?: string }[] }).items ?? []).map((item) =>
      !item.section || item.section === 'qwenLsp' ? panelSettings() : null,
    ),
  );
  lsp.onRequest('window/workDoneProgress/create', () => null);
  lsp.onRequest('client/registerCapability', () => null);
  lsp.onNotification('$/progress', (params) => {
    const value = (params as { value?: { kind?: string; title?: string; message?: string } }).value;
    if (value?.kind === 'begin' && value.title?.startsWith('Loading model')) {
      ui.modelName.textContent = `${value.title}…`;
    } else if (value?.kind === 'end' && value.message) {
      log(value.message);
      refreshModelInfo();
    }
  });
  lsp.onNotification('textDocument/publishDiagnostics', (params) =>
    showDiagnostics(params as { uri: string; version?: number; diagnostics: LspDiagnostic[] }),
  );
  const message = (params: unknown): void => {
    const { type, message: text } = params as { type: number; message: string };
    log(text, type === 1 ? 'error' : 'info');
  };
  lsp.onNotification('window/logMessage', message);
  lsp.onNotification('window/showMessage', message);

  const result = await lsp.request<{ serverInfo?: { name: string; version?: string } }>('initialize', {
    processId: null,
    clientInfo: { name: 'qwen-lsp playground', version: '0.1.0' },
    rootUri: null,
    workspaceFolders: null,
    initializationOptions: merge(baseOptions, panelSettings()),
    capabilities: {
      general: { positionEncodings: ['utf-16'] },
      window: { workDoneProgress: true, showMessage: {} },
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
      textDocument: {
        synchronization: { dynamicRegistration: false, didSave: false },
        publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true },
        codeAction: {
          codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'source'] } },
          isPreferredSupport: true,
        },
        inlineCompletion: { dynamicRegistration: false },
      },
    },
  });
  lsp.notify('initialized', {});
  seen.initialized = true;
  const server = result.serverInfo;
  setConnection(`connected to ${server?.name ?? 'server'} ${server?.version ?? ''}`.trim(), true);
  if (model) {
    lsp.notify('textDocument/didOpen', {
      textDocument: { uri: uriOf(language), languageId: language.id, version, text: model.getValue() },
    });
  }
  refreshModelInfo();
}

async function main(): Promise<void> {
  for (const lang of LANGUAGES) {
    const option = document.createElement('option');
    option.value = lang.id;
    option.textContent = lang.label;
    ui.language.append(option);
  }
  const response = await fetch('config.json');
  const config = (await response.json()) as PageConfig;
  baseOptions = config.initializationOptions ?? {};
  const completion = (baseOptions['completion'] ?? {}) as { temperature?: number; maxTokens?: number };
  ui.temperature.value = String(completion.temperature ?? 0);
  ui.maxTokens.value = String(completion.maxTokens ?? 64);
  ui.temperatureValue.value = Number(ui.temperature.value).toFixed(2);
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('language');
  ui.language.value = languageById(fromHash ?? 'python').id;
  openDocument(languageById(ui.language.value));

  ui.language.addEventListener('change', () => openDocument(languageById(ui.language.value)));
  ui.temperature.addEventListener('input', () => {
    ui.temperatureValue.value = Number(ui.temperature.value).toFixed(2);
  });
  ui.temperature.addEventListener('change', settingsChanged);
  ui.maxTokens.addEventListener('change', settingsChanged);
  ui.generate.addEventListener('click', () => void generate());
  ui.request.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void generate();
    }
  });
  setConnection('connecting…', false);
  try {
    await connect(config);
  } catch (error) {
    setConnection(String(error), false);
    log(String(error), 'error');
  }
}

(window as unknown as { qwenPlayground: unknown }).qwenPlayground = {
  seen,
  editor,
  get text() {
    return model?.getValue() ?? '';
  },
  get version() {
    return version;
  },
  openDocument: (id: string, content?: string) => openDocument(languageById(id), content),
  generate,
};

void main();
