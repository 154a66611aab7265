/**
 * The status bar's model: what the server's model is doing (off, loading, loaded, failed) and the
 * last completion latency, fed by `$/progress` notifications, `qwen.modelInfo` answers and the
 * client's own timing of inline completion requests. No `vscode` import: tested under Node.
 */
import { isObject } from './protocol';

export type ModelState = 'stopped' | 'starting' | 'off' | 'idle' | 'loading' | 'loaded' | 'failed';

export interface StatusView {
  state: ModelState;
  text: string;
  tooltip: string;
}

const LOADING_TITLE = /^Loading model (.+)$/;

export class ModelStatus {
  private state: ModelState = 'stopped';
  private model = '';
  private detail = '';
  private lastLatencyMs: number | undefined;
  private serverP50Ms: number | undefined;
  private enabled = true;
  private readonly loadingTokens = new Map<string, string>();

  /** The language client started, stopped or is starting. */
  serverState(state: 'starting' | 'running' | 'stopped'): void {
    if (state === 'running') {
      this.state = this.enabled ? 'idle' : 'off';
    } else {
      this.state = state;
      this.loadingTokens.clear();
    }
  }

  /** `qwenLsp.completion.enable` changed. */
  completionsEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled && this.state !== 'stopped' && this.state !== 'starting') {
      this.state = 'off';
    } else if (enabled && this.state === 'off') {
      this.state = this.model ? 'loaded' : 'idle';
    }
  }

  /** A `$/progress` begin. Returns true when it was a model load. */
  progressBegin(token: string, title: string): boolean {
    const match = LOADING_TITLE.exec(title);
    if (!match) {
      return false;
    }
    const name = match[1] ?? '';
    this.loadingTokens.set(token, name);
    this.model = name;
    this.state = 'loading';
    return true;
  }

  /** A `$/progress` end. */
  progressEnd(token: string, message: string | undefined): void {
    const name = this.loadingTokens.get(token);
    if (name === undefined) {
      return;
    }
    this.loadingTokens.delete(token);
    this.model = name;
    this.detail = message ?? '';
    this.state = message !== undefined && /failed/i.test(message) ? 'failed' : 'loaded';
  }

  /** The answer of `qwen.modelInfo`. */
  modelInfo(info: unknown): void {
    if (!isObject(info) || !Array.isArray(info['loaded'])) {
      return;
    }
    const loaded = info['loaded'].filter(isObject);
    if (loaded.length > 0) {
      const first = loaded[0] as Record<string, unknown>;
      this.model = loaded.map((m) => String(m['name'] ?? '?')).join(', ');
      const p50 = first['latency_ms_p50'];
      this.serverP50Ms = typeof p50 === 'number' ? p50 : undefined;
      const last = first['last_latencies_ms'];
      if (Array.isArray(last) && last.length > 0 && typeof last[last.length - 1] === 'number') {
        this.detail = `engine p50 ${fmt(this.serverP50Ms)}, last ${fmt(last[last.length - 1] as number)}`;
      }
      if (this.state !== 'loading' && this.state !== 'off') {
        this.state = 'loaded';
      }
    } else if (this.state === 'loaded') {
      // Unloaded after being idle: it loads again on the next completion.
      this.state = 'idle';
    }
  }

  /** The client measured an inline completion round trip. */
  latency(ms: number): void {
    this.lastLatencyMs = ms;
  }

  view(): StatusView {
    const latency = this.lastLatencyMs !== undefined ? ` · ${fmt(this.lastLatencyMs)}` : '';
    switch (this.state) {
      case 'stopped':
        return { state: this.state, text: '$(debug-disconnect) qwen', tooltip: 'qwen-lsp is not running' };
      case 'starting':
        return { state: this.state, text: '$(sync~spin) qwen', tooltip: 'qwen-lsp is starting' };
      case 'off':
        return { state: this.state, text: '$(circle-slash) qwen: off', tooltip: 'Completions are off (qwenLsp.completion.enable)' };
      case 'idle':
        return {
          state: this.state,
          text: '$(circle-outline) qwen',
          tooltip: 'No model loaded: one loads when a document of its language needs a completion',
        };
      case 'loading':
        return { state: this.state, text: `$(sync~spin) qwen: loading ${this.model}`, tooltip: `Loading model ${this.model}` };
      case 'failed':
        return { state: this.state, text: `$(error) qwen: ${this.model} failed`, tooltip: this.detail || 'The model failed to load' };
      case 'loaded':
        return {
          state: this.state,
          text: `$(check) qwen: ${this.model}${latency}`,
          tooltip: [`Model ${this.model} loaded`, this.detail, latency ? `last completion${latency} (round trip)` : '']
            .filter(Boolean)
            .join('\n'),
        };
    }
  }
}

function fmt(ms: number | undefined): string {
  if (ms === undefined) {
    return '?';
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
