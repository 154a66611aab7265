/**
 * The real qwen-lsp server driven over stdio with vscode-languageserver-protocol (the library the
 * VS Code client is built on), sending exactly what the extension sends: the client capabilities
 * computed by the extension's own vscode-languageclient client (src/client.ts) and its
 * initializationOptions, built from package.json's generated settings. Checks an inline
 * completion against `qwen-lsp complete`, diagnostics, a quick fix, `$/progress` and
 * `qwen.modelInfo` feeding the status bar model.
 */
import { PACKAGE_JSON, configurationFromPackage, getConfiguration, setConfiguration } from './vscode-host';

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import type { LanguageClient } from 'vscode-languageclient/node';
import {
  type ClientCapabilities,
  type Command,
  CodeActionRequest,
  ConfigurationRequest,
  type Diagnostic,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializeRequest,
  type InitializeResult,
  InitializedNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  LogMessageNotification,
  MessageType,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { ProgressFeature, createClient } from '../src/client';
import { SERVER_COMMANDS, explainLogArguments, renderResult, serverHasCommand } from '../src/protocol';
import { ModelStatus } from '../src/status';
import { dottedSettings, qwenLspCommand, testInitOptions } from './support';

const SOURCE = [
  'def area(width, height):',
  '    return width * height',
  '',
  '',
  'print(area(2, 3)',
  '',
  '',
  'def perimeter(width, height):',
  '    ',
  '',
].join('\n');
const CURSOR = { line: 8, character: 4 };

let workspace: string;
let server: ChildProcess;
let connection: ProtocolConnection;
let serverStderr = '';
const errorsLogged: string[] = [];
const diagnostics = new Map<string, PublishDiagnosticsParams[]>();
const status = new ModelStatus();
let client: LanguageClient;
let initializeResult: InitializeResult;
let acceptCommand: Command | undefined;

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    QWEN_LSP_CONFIG: join(workspace, '.no-user-settings.json'),
    QWEN_LSP_CACHE_DIR: join(workspace, '.cache'),
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; server stderr:\n${serverStderr.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'qwen-lsp-vscode-'));
  writeFileSync(join(workspace, '.no-user-settings.json'), '{}');
  writeFileSync(join(workspace, 'geometry.py'), SOURCE);

  // The settings a user would put in settings.json, resolved over package.json's defaults.
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as {
    contributes: { configuration: { properties: Record<string, unknown> }[] };
  };
  const declared = new Set(pkg.contributes.configuration.flatMap((block) => Object.keys(block.properties)));
  setConfiguration(configurationFromPackage(PACKAGE_JSON, dottedSettings(testInitOptions(), declared)));

  client = createClient({ command: 'unused', args: [], source: 'path' }, {
    status,
    changed: () => undefined,
    answered: () => undefined,
  });

  const [command, ...prefix] = qwenLspCommand();
  server = spawn(command as string, [...prefix, 'serve'], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
  server.stderr?.on('data', (chunk: Buffer) => {
    serverStderr += chunk.toString();
  });
  connection = createProtocolConnection(
    new StreamMessageReader(server.stdout!),
    new StreamMessageWriter(server.stdin!),
  );
  // Server-to-client requests, answered the way VS Code answers them.
  connection.onRequest(ConfigurationRequest.type, (params) =>
    params.items.map((item) => JSON.parse(JSON.stringify(getConfiguration(item.section))) as unknown),
  );
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    diagnostics.set(params.uri, [...(diagnostics.get(params.uri) ?? []), params]);
  });
  connection.onNotification(LogMessageNotification.type, (params) => {
    if (params.type === MessageType.Error) {
      errorsLogged.push(params.message);
    }
  });
  // The extension's own progress feature, on this connection.
  new ProgressFeature(
    {
      onRequest: connection.onRequest.bind(connection),
      onProgress: connection.onProgress.bind(connection),
    } as unknown as LanguageClient,
    { status, changed: () => undefined, answered: () => undefined },
  ).initialize();
  connection.listen();
});

after(async () => {
  if (connection) {
    await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await connection.sendNotification(ExitNotification.type).catch(() => undefined);
  }
  if (server && server.exitCode === null) {
    await Promise.race([
      new Promise((resolve) => server.once('exit', resolve)),
      new Promise((resolve) => setTimeout(resolve, 5000)),
    ]);
    server.kill();
  }
  connection?.dispose();
  rmSync(workspace, { recursive: true, force: true });
});

test('initialize with the extension capabilities and settings', { timeout: 30_000 }, async () => {
  const capabilities = (client as unknown as { computeClientCapabilities(): ClientCapabilities })
    .computeClientCapabilities();
  // What vscode-languageclient 11 itself declares for inline completions (not a hand-written copy).
  assert.deepEqual(capabilities.textDocument?.inlineCompletion, { dynamicRegistration: true });
  assert.equal(capabilities.window?.workDoneProgress, true);
  const makeOptions = client.clientOptions.initializationOptions as () => Record<string, unknown>;
  const initializationOptions = makeOptions();
  // The test settings (put in "settings.json" above) are what the extension sends.
  for (const [section, values] of Object.entries(testInitOptions())) {
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      assert.deepEqual((initializationOptions[section] as Record<string, unknown>)[key], value, `${section}.${key}`);
    }
  }
  const root = pathToFileURL(workspace).toString();
  initializeResult = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'Visual Studio Code', version: '1.91.0' },
    locale: 'en',
    rootUri: root,
    workspaceFolders: [{ uri: root, name: 'workspace' }],
    capabilities,
    initializationOptions,
  });
  const caps = initializeResult.capabilities;
  assert.ok(caps.inlineCompletionProvider, 'the server offers inline completions');
  assert.ok(caps.codeActionProvider, 'the server offers code actions');
  assert.ok(caps.executeCommandProvider?.commands.includes(SERVER_COMMANDS.modelInfo));
  assert.equal(caps.positionEncoding ?? 'utf-16', 'utf-16');
  await connection.sendNotification(InitializedNotification.type, {});
});

test('inline completion is the engine output, and the status bar follows the model', { timeout: 60_000 }, async () => {
  const uri = pathToFileURL(join(workspace, 'geometry.py')).toString();
  await connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'python', version: 1, text: SOURCE },
  });
  const started = Date.now();
  // The request as vscode-languageclient 11 converts it (code2ProtocolConverter.asInlineCompletionParams).
  const result = await connection.sendRequest(InlineCompletionRequest.type, {
    textDocument: { uri },
    position: CURSOR,
    context: { triggerKind: InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined },
  });
  status.latency(Date.now() - started);
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  assert.equal(items.length, 1, 'one suggestion');
  const item = items[0]!;
  assert.equal(typeof item.insertText, 'string');
  assert.deepEqual(item.range, { start: CURSOR, end: CURSOR });
  assert.equal(item.command?.command, SERVER_COMMANDS.acceptSuggestion);

  // The same buffer and settings through `qwen-lsp complete`: the same text.
  writeFileSync(join(workspace, 'cli-settings.json'), JSON.stringify(testInitOptions()));
  const [command, ...prefix] = qwenLspCommand();
  const printed = execFileSync(
    command as string,
    [
      ...prefix,
      'complete',
      join(workspace, 'geometry.py'),
      '--line',
      String(CURSOR.line + 1),
      '--col',
      String(CURSOR.character + 1),
      '--no-index',
      '--json',
    ],
    { env: { ...env(), QWEN_LSP_CONFIG: join(workspace, 'cli-settings.json') }, encoding: 'utf8' },
  );
  const expected = (JSON.parse(printed) as { suggestion: string | null }).suggestion;
  assert.ok(expected, 'the model suggests something here');
  assert.equal(item.insertText, expected);

  // $/progress reported the load; qwen.modelInfo names the module; the status bar says so.
  const progressSeen = await waitFor('the model load progress to end', () =>
    status.view().state === 'loaded' ? true : undefined,
  );
  assert.ok(progressSeen);
  const info = await connection.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.modelInfo });
  status.modelInfo(info);
  const loaded = (info as { loaded: { name: string }[] }).loaded.map((m) => m.name);
  assert.equal(loaded.length, 1);
  const view = status.view();
  assert.equal(view.state, 'loaded');
  assert.ok(view.text.includes(loaded[0]!), view.text);
  // The latency of the last completion: milliseconds, or seconds once past one (a cold start on a busy machine).
  assert.match(view.text, / · (\d+ ms|\d+\.\d s)$/);
  acceptCommand = item.command;
});

test('accepting a suggestion runs its command on the server, as VS Code sends it', { timeout: 30_000 }, async () => {
  assert.ok(acceptCommand, 'the inline completion test ran first');
  // VS Code executes an accepted item's command with its arguments (here [source]).
  await connection.sendRequest(ExecuteCommandRequest.type, {
    command: acceptCommand.command,
    arguments: acceptCommand.arguments ?? [],
  });
  const info = (await connection.sendRequest(ExecuteCommandRequest.type, {
    command: SERVER_COMMANDS.modelInfo,
    arguments: [],
  })) as { accepted: number };
  assert.equal(info.accepted, 1);
});

test('diagnostics arrive and their quick fix repairs the file', { timeout: 30_000 }, async () => {
  const uri = pathToFileURL(join(workspace, 'geometry.py')).toString();
  const published = await waitFor('diagnostics', () =>
    diagnostics.get(uri)?.find((p) => p.diagnostics.length > 0),
  );
  const diagnostic: Diagnostic = published.diagnostics[0]!;
  assert.equal(diagnostic.range.start.line, 4);
  assert.match(typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value, /never closed/);
  const actions = await connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic], triggerKind: 1 },
  });
  const fix = (actions ?? []).find((a) => 'kind' in a && a.kind === 'quickfix');
  assert.ok(fix && 'edit' in fix && fix.edit?.changes, `a quick fix with an edit: ${JSON.stringify(actions)}`);
  const edits: TextEdit[] = fix.edit.changes[uri] ?? [];
  assert.equal(edits.length, 1);
  const edit = edits[0]!;
  // Apply it the way VS Code would, and the error is gone.
  const lines = SOURCE.split('\n');
  const line = lines[edit.range.start.line]!;
  lines[edit.range.start.line] =
    line.slice(0, edit.range.start.character) + edit.newText + line.slice(edit.range.end.character);
  const fixed = lines.join('\n');
  const before = diagnostics.get(uri)?.length ?? 0;
  await connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: edit.range, text: edit.newText }],
  });
  const clean = await waitFor('diagnostics of the fixed file', () =>
    diagnostics.get(uri)?.slice(before).find((p) => p.version === 2),
  );
  assert.deepEqual(clean.diagnostics, [], `still reported for:\n${fixed}`);
  assert.deepEqual(errorsLogged, []);
});

test('explain a traceback from the clipboard: explanations come back, the line gets a diagnostic', { timeout: 30_000 }, async () => {
  const file = join(workspace, 'geometry.py');
  const uri = pathToFileURL(file).toString();
  const traceback = [
    'Traceback (most recent call last):',
    `  File "${file}", line 2, in area`,
    '    return width * height',
    "TypeError: can't multiply sequence by non-int of type 'str'",
  ].join('\n');
  assert.ok(serverHasCommand(initializeResult.capabilities, SERVER_COMMANDS.explainLog));
  const before = diagnostics.get(uri)?.length ?? 0;
  const result = await connection.sendRequest(ExecuteCommandRequest.type, {
    command: SERVER_COMMANDS.explainLog,
    arguments: explainLogArguments({ text: traceback }),
  });
  const rendered = renderResult('Log explanation', result);
  assert.match(rendered, /## TypeError: can't multiply sequence/);
  assert.match(rendered, /geometry\.py:2 \(in `area`\)/);
  const published = await waitFor('the explanation as a diagnostic', () =>
    diagnostics
      .get(uri)
      ?.slice(before)
      .find((p) => p.diagnostics.some((d) => d.source === 'qwen-log')),
  );
  const explained = published.diagnostics.find((d) => d.source === 'qwen-log')!;
  assert.equal(explained.range.start.line, 1);
  await connection.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.clearLog, arguments: [] });
});
