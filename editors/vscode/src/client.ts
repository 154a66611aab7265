/**
 * The language client: how the extension talks to `qwen-lsp serve`. Kept apart from
 * `extension.ts` so that the Node tests build this very client and send the server its
 * capabilities and initialization options.
 */
import * as vscode from 'vscode';
import {
  type ClientCapabilities,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';

import {
  CLIENT_ID,
  CLIENT_NAME,
  DOCUMENT_SELECTOR,
  SETTINGS_SECTION,
  initializationOptions,
} from './protocol';
import type { ServerCommand } from './serverCommand';
import type { ModelStatus } from './status';

export interface ClientHooks {
  status: ModelStatus;
  /** The status changed: redraw it. */
  changed: () => void;
  /** An inline completion came back with items (time to refresh `qwen.modelInfo`). */
  answered: () => void;
}

/**
 * Tracks `$/progress`: the server reports model loads ("Loading model NAME") and workspace
 * indexing. Model loads drive the status bar; every progress is also shown in the window's
 * progress area. It answers `window/workDoneProgress/create` itself, replacing the library's
 * default handler (registered earlier, so this one wins on every start and restart).
 */
export class ProgressFeature implements StaticFeature {
  private readonly active = new Map<string, () => void>();

  constructor(
    private readonly client: LanguageClient,
    private readonly hooks: ClientHooks,
  ) {}

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.track(String(token));
    });
  }

  getState(): FeatureState {
    return { kind: 'static' };
  }

  clear(): void {
    for (const done of this.active.values()) {
      done();
    }
    this.active.clear();
  }

  private track(token: string): void {
    if (this.active.has(token)) {
      return;
    }
    let finish: () => void = () => undefined;
    let report: (message: string | undefined, percentage: number | undefined) => void = () => undefined;
    const subscription = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      switch (value.kind) {
        case 'begin': {
          if (this.hooks.status.progressBegin(token, value.title)) {
            this.hooks.changed();
          }
          void vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: value.title },
            (progress) =>
              new Promise<void>((resolve) => {
                let last = value.percentage ?? 0;
                report = (message, percentage) => {
                  const increment = percentage !== undefined ? Math.max(0, percentage - last) : undefined;
                  if (percentage !== undefined) {
                    last = percentage;
                  }
                  progress.report({ message, increment });
                };
                finish = resolve;
                report(value.message, value.percentage);
              }),
          );
          break;
        }
        case 'report':
          report(value.message, value.percentage);
          break;
        case 'end':
          this.hooks.status.progressEnd(token, value.message);
          this.hooks.changed();
          done();
          break;
      }
    });
    const done = (): void => {
      finish();
      subscription.dispose();
      this.active.delete(token);
    };
    this.active.set(token, done);
  }
}

/** Client options: the documents sent, the initialization options, the middleware. */
export function clientOptions(hooks: ClientHooks, output?: vscode.LogOutputChannel): LanguageClientOptions {
  return {
    documentSelector: DOCUMENT_SELECTOR,
    // Evaluated at every (re)start, so a restart picks up changed settings.
    initializationOptions: () =>
      initializationOptions(vscode.workspace.getConfiguration(SETTINGS_SECTION)),
    synchronize: { configurationSection: SETTINGS_SECTION },
    outputChannel: output,
    middleware: {
      provideInlineCompletionItems: async (document, position, context, token, next) => {
        const started = Date.now();
        const result = await next(document, position, context, token);
        const items = Array.isArray(result) ? result : result?.items;
        if (items && items.length > 0 && !token.isCancellationRequested) {
          hooks.status.latency(Date.now() - started);
          hooks.changed();
          hooks.answered();
        }
        return result;
      },
    },
  };
}

/** The language client for one server command (not started). */
export function createClient(
  server: ServerCommand,
  hooks: ClientHooks,
  output?: vscode.LogOutputChannel,
): LanguageClient {
  const serverOptions: ServerOptions = {
    run: { command: server.command, args: server.args },
    debug: { command: server.command, args: server.args },
  };
  const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions(hooks, output));
  // Inline completions are a standard feature of vscode-languageclient 10+ (registered by the
  // client itself); registerProposedFeatures() adds nothing to 11.0.0 but keeps whatever a future
  // release proposes.
  client.registerProposedFeatures();
  client.registerFeature(new ProgressFeature(client, hooks));
  return client;
}
