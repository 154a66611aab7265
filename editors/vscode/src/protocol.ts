/**
 * What the extension and the server agree on, with no dependency on the `vscode` module so that
 * the Node tests use exactly the same values as the extension.
 */

/** The server's settings section: every key under it is one of the server's own settings. */
export const SETTINGS_SECTION = 'qwenLsp';

/** Settings that only the extension reads (how to start the server). Kept out of
 * {@link SETTINGS_SECTION} so that the server never sees, nor warns about, keys it does not know. */
export const CLIENT_SECTION = 'qwenLspClient';

/** Id of the language client; vscode-languageclient reads `<id>.trace.server` for tracing. */
export const CLIENT_ID = 'qwenLspClient';
export const CLIENT_NAME = 'qwen-lsp';

/** Commands the server executes (`workspace/executeCommand`). */
export const SERVER_COMMANDS = {
  modelInfo: 'qwen.modelInfo',
  acceptSuggestion: 'qwen.acceptSuggestion',
  explainLog: 'qwen.explainLog',
  clearLog: 'qwen.clearLog',
  /** Not implemented by the server yet: the client side is wired and reports when it is missing. */
  generateTests: 'qwen.generateTests',
} as const;

/** Commands the extension contributes (ids in package.json `contributes.commands`). */
export const EXTENSION_COMMANDS = {
  explainLog: 'qwenLsp.explainLog',
  explainLogFile: 'qwenLsp.explainLogFile',
  clearLog: 'qwenLsp.clearLog',
  generateTests: 'qwenLsp.generateTests',
  modelInfo: 'qwenLsp.modelInfo',
  restartServer: 'qwenLsp.restartServer',
} as const;

/** Documents the client sends to the server: every language; the server decides what it parses. */
export const DOCUMENT_SELECTOR = [{ scheme: 'file' }, { scheme: 'untitled' }];

/** A JSON object. */
export type JsonObject = { [key: string]: unknown };

/**
 * The `initializationOptions` sent to the server: the `qwenLsp` settings as VS Code resolves them
 * (defaults < user < workspace), as plain JSON. The server also asks for the same section with
 * `workspace/configuration` after `initialized` and on every change.
 */
export function initializationOptions(section: unknown): JsonObject {
  const plain = JSON.parse(JSON.stringify(section ?? {})) as unknown;
  return isObject(plain) ? plain : {};
}

/** Arguments of `qwen.explainLog`: pasted text, or a log file (a URI inside the workspace; the
 * server refuses files outside its workspace folders). */
export function explainLogArguments(input: { text?: string; uri?: string }): JsonObject[] {
  if (input.uri) {
    return [{ uri: input.uri }];
  }
  const text = input.text ?? '';
  if (!text.trim()) {
    throw new Error('nothing to explain: select a log or copy one to the clipboard');
  }
  return [{ text }];
}

/** Arguments of `qwen.generateTests`: the document and the position of the function to test. */
export function generateTestsArguments(
  uri: string,
  line: number,
  character: number,
): JsonObject[] {
  return [{ uri, position: { line, character } }];
}

/** Whether the server listed `command` in its `executeCommandProvider`. */
export function serverHasCommand(capabilities: unknown, command: string): boolean {
  if (!isObject(capabilities)) {
    return false;
  }
  const provider = capabilities['executeCommandProvider'];
  if (!isObject(provider) || !Array.isArray(provider['commands'])) {
    return false;
  }
  return (provider['commands'] as unknown[]).includes(command);
}

/** One explanation of `qwen.explainLog`'s result. */
interface Explanation {
  error?: string;
  path?: string | null;
  line?: number | null;
  function?: string | null;
  cause?: string | null;
  steps?: string[];
  fix?: string | null;
  corrected_line?: string | null;
  call_chain?: string[];
}

/** `qwen.explainLog`'s result as Markdown: each error with where it happened, why, what to do. */
export function renderExplanations(result: unknown): string | undefined {
  if (!isObject(result) || !Array.isArray(result['explanations'])) {
    return undefined;
  }
  const explanations = result['explanations'] as Explanation[];
  if (explanations.length === 0) {
    return 'No errors or tracebacks found in the log.';
  }
  const parts: string[] = [];
  for (const e of explanations) {
    const where = e.path ? `${e.path}${e.line ? `:${e.line}` : ''}${e.function ? ` (in \`${e.function}\`)` : ''}` : '';
    parts.push(`## ${e.error ?? 'Error'}`, '');
    if (where) parts.push(`At ${where}.`);
    if (e.cause) parts.push('', e.cause);
    if (e.steps && e.steps.length > 0) parts.push('', ...e.steps.map((step) => `- ${step}`));
    if (e.fix) parts.push('', `**Fix:** ${e.fix}`);
    if (e.corrected_line) parts.push('', '```', e.corrected_line, '```');
    if (e.call_chain && e.call_chain.length > 1) parts.push('', `Call chain: ${e.call_chain.join(' → ')}`);
    parts.push('');
  }
  return parts.join('\n');
}

/** Renders a command's result for people: explanations, strings as they are, known shapes as
 * Markdown, anything else as JSON. */
export function renderResult(title: string, result: unknown): string {
  const lines = [`# ${title}`, ''];
  const explained = renderExplanations(result);
  if (explained !== undefined) {
    lines.push(explained);
  } else if (typeof result === 'string') {
    lines.push(result);
  } else if (isObject(result) && typeof result['markdown'] === 'string') {
    lines.push(result['markdown']);
  } else if (isObject(result) && typeof result['message'] === 'string') {
    lines.push(result['message']);
    lines.push('', '```json', JSON.stringify(result, null, 2), '```');
  } else {
    lines.push('```json', JSON.stringify(result ?? null, null, 2), '```');
  }
  return lines.join('\n') + '\n';
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
