/**
 * The qwen-lsp extension: starts `qwen-lsp serve`, shows ghost-text completions through the
 * language client's inline completion support, and adds commands and a status bar item.
 */
import * as fs from 'fs';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient, State } from 'vscode-languageclient/node';

import { createClient } from './client';
import {
  CLIENT_SECTION,
  EXTENSION_COMMANDS,
  SERVER_COMMANDS,
  SETTINGS_SECTION,
  explainLogArguments,
  generateTestsArguments,
  renderResult,
  serverHasCommand,
} from './protocol';
import { resolveServerCommand } from './serverCommand';
import { ModelStatus } from './status';

let client: LanguageClient | undefined;

interface PythonEnvironmentsApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(path: string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The interpreter selected in the Python extension (ms-python.python), if it is installed. */
async function selectedPython(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonEnvironmentsApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    if (!environments) {
      return undefined;
    }
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = environments.getActiveEnvironmentPath(resource);
    const resolved = await environments.resolveEnvironment(active.path);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('qwen-lsp', { log: true });
  const status = new ModelStatus();
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  item.command = EXTENSION_COMMANDS.modelInfo;
  item.name = 'qwen-lsp';
  const render = (): void => {
    const view = status.view();
    item.text = view.text;
    item.tooltip = view.tooltip;
  };
  render();
  item.show();
  context.subscriptions.push(output, item);

  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshModelInfo = async (): Promise<void> => {
    if (client?.state !== State.Running) {
      return;
    }
    try {
      status.modelInfo(
        await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.modelInfo }),
      );
      render();
    } catch (error) {
      output.warn(`qwen.modelInfo failed: ${String(error)}`);
    }
  };
  const scheduleRefresh = (): void => {
    if (refreshTimer === undefined) {
      refreshTimer = setTimeout(() => {
        refreshTimer = undefined;
        void refreshModelInfo();
      }, 1500);
    }
  };
  // Notices an idle module being unloaded.
  const poll = setInterval(() => void refreshModelInfo(), 60_000);
  context.subscriptions.push({ dispose: () => clearInterval(poll) });

  const completionsEnabled = (): boolean =>
    vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>('completion.enable', true);

  const start = async (): Promise<void> => {
    const settings = vscode.workspace.getConfiguration(CLIENT_SECTION);
    const server = resolveServerCommand({
      configuredPath: settings.get<string>('serverPath', ''),
      extraArgs: settings.get<string[]>('serverArgs', []),
      pythonExecutable: await selectedPython(),
      platform: process.platform,
      exists: (file) => fs.existsSync(file),
    });
    output.info(`starting ${server.command} ${server.args.join(' ')} (from ${server.source})`);
    client = createClient(server, { status, changed: render, answered: scheduleRefresh }, output);
    client.onDidChangeState((event) => {
      status.serverState(
        event.newState === State.Running ? 'running' : event.newState === State.Starting ? 'starting' : 'stopped',
      );
      status.completionsEnabled(completionsEnabled());
      render();
    });
    try {
      await client.start();
      await refreshModelInfo();
    } catch (error) {
      void vscode.window.showErrorMessage(
        `qwen-lsp could not start (${server.command}): ${String(error)}. ` +
          `Install it (pip install qwen-lsp) or set ${CLIENT_SECTION}.serverPath.`,
      );
    }
  };

  const stop = async (): Promise<void> => {
    const current = client;
    client = undefined;
    if (current) {
      await current.stop().catch(() => undefined);
    }
  };

  const running = (): LanguageClient => {
    if (!client || client.state !== State.Running) {
      throw new Error('qwen-lsp is not running');
    }
    return client;
  };

  /** Runs a server command; tells the user when this server does not offer it. */
  const execute = async (command: string, args: unknown[], title: string): Promise<unknown> => {
    const c = running();
    if (!serverHasCommand(c.initializeResult?.capabilities, command)) {
      void vscode.window.showWarningMessage(
        `qwen-lsp: this server does not offer ${command} yet (update qwen-lsp).`,
      );
      return undefined;
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_progress, token) => c.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token),
    );
  };

  const showMarkdown = async (content: string): Promise<void> => {
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content });
    await vscode.window.showTextDocument(document, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  };

  const guarded =
    (action: () => Promise<void>) =>
    async (): Promise<void> => {
      try {
        await action();
      } catch (error) {
        void vscode.window.showErrorMessage(`qwen-lsp: ${error instanceof Error ? error.message : String(error)}`);
      }
    };

  context.subscriptions.push(
    vscode.commands.registerCommand(
      EXTENSION_COMMANDS.explainLog,
      guarded(async () => {
        const editor = vscode.window.activeTextEditor;
        const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
        const text = selected || (await vscode.env.clipboard.readText());
        const result = await execute(
          SERVER_COMMANDS.explainLog,
          explainLogArguments({ text }),
          'qwen-lsp: explaining the log…',
        );
        if (result !== undefined) {
          await showMarkdown(renderResult('Log explanation', result));
        }
      }),
    ),
    vscode.commands.registerCommand(
      EXTENSION_COMMANDS.explainLogFile,
      guarded(async () => {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Explain' });
        const file = picked?.[0];
        if (!file) {
          return;
        }
        const result = await execute(
          SERVER_COMMANDS.explainLog,
          explainLogArguments({ uri: file.toString() }),
          'qwen-lsp: explaining the log…',
        );
        if (result !== undefined) {
          await showMarkdown(renderResult(`Log explanation: ${file.fsPath}`, result));
        }
      }),
    ),
    vscode.commands.registerCommand(
      EXTENSION_COMMANDS.clearLog,
      guarded(async () => {
        await execute(SERVER_COMMANDS.clearLog, [], 'qwen-lsp: clearing log explanations…');
      }),
    ),
    vscode.commands.registerCommand(
      EXTENSION_COMMANDS.generateTests,
      guarded(async () => {
        const editor = vscode.window.activeTextEditor;
        if (!editor) {
          throw new Error('open the file with the code to test');
        }
        const position = editor.selection.active;
        const result = await execute(
          SERVER_COMMANDS.generateTests,
          generateTestsArguments(editor.document.uri.toString(), position.line, position.character),
          'qwen-lsp: generating tests…',
        );
        // The server applies edits itself (workspace/applyEdit); anything it returns is shown.
        if (result !== undefined && result !== null) {
          await showMarkdown(renderResult('Generated tests', result));
        }
      }),
    ),
    vscode.commands.registerCommand(
      EXTENSION_COMMANDS.modelInfo,
      guarded(async () => {
        const info = await running().sendRequest(ExecuteCommandRequest.type, {
          command: SERVER_COMMANDS.modelInfo,
        });
        status.modelInfo(info);
        render();
        output.appendLine(JSON.stringify(info, null, 2));
        output.show(true);
      }),
    ),
    vscode.commands.registerCommand(
      EXTENSION_COMMANDS.restartServer,
      guarded(async () => {
        await stop();
        await start();
      }),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(CLIENT_SECTION)) {
        void vscode.commands.executeCommand(EXTENSION_COMMANDS.restartServer);
      } else if (event.affectsConfiguration(`${SETTINGS_SECTION}.completion.enable`)) {
        status.completionsEnabled(completionsEnabled());
        render();
      }
    }),
    { dispose: () => void stop() },
  );

  await start();
}

export async function deactivate(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    await current.stop();
  }
}
