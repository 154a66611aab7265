/**
 * A small JSON-RPC 2.0 client over a WebSocket, one LSP message per text frame (the framing of
 * `qwen-lsp serve --ws` and `qwen-lsp playground`).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export class ResponseError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

type RequestHandler = (params: unknown) => unknown | Promise<unknown>;
type NotificationHandler = (params: unknown) => void;

const METHOD_NOT_FOUND = -32601;
const REQUEST_CANCELLED = -32800;

/** A cancellation signal (Monaco's CancellationToken has the same two members). */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): unknown;
}

export class LspConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly notificationHandlers = new Map<string, NotificationHandler[]>();
  private readonly closeListeners: ((reason: string) => void)[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => this.receive(String(event.data)));
    socket.addEventListener('close', (event) => {
      const reason = `connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`;
      for (const pending of this.pending.values()) {
        pending.reject(new Error(`${pending.method}: ${reason}`));
      }
      this.pending.clear();
      for (const listener of this.closeListeners) {
        listener(reason);
      }
    });
  }

  /** Opens the WebSocket and resolves once it is connected. */
  static open(url: string): Promise<LspConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const connection = new LspConnection(socket);
      socket.addEventListener('open', () => resolve(connection), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  /** Handles a request from the server; unhandled ones get MethodNotFound. */
  onRequest(method: string, handler: RequestHandler): void {
    this.requestHandlers.set(method, handler);
  }

  onNotification(method: string, handler: NotificationHandler): void {
    const list = this.notificationHandlers.get(method) ?? [];
    list.push(handler);
    this.notificationHandlers.set(method, list);
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params: params as Json });
  }

  request<T>(method: string, params: unknown, token?: CancellationLike): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      this.send({ jsonrpc: '2.0', id, method, params: params as Json });
      token?.onCancellationRequested(() => {
        if (this.pending.has(id)) {
          this.notify('$/cancelRequest', { id });
        }
      });
    });
  }

  close(): void {
    this.socket.close();
  }

  private send(message: { [key: string]: Json | undefined }): void {
    if (this.socket.readyState !== WebSocket.OPEN) {
      throw new Error('not connected to qwen-lsp');
    }
    this.socket.send(JSON.stringify(message));
  }

  private receive(text: string): void {
    let message: { id?: number | string; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      console.error('qwen-lsp sent a frame that is not JSON', text);
      return;
    }
    if (message.method !== undefined && message.id !== undefined) {
      void this.answer(message.id, message.method, message.params);
    } else if (message.method !== undefined) {
      for (const handler of this.notificationHandlers.get(message.method) ?? []) {
        handler(message.params);
      }
    } else if (typeof message.id === 'number') {
      const pending = this.pending.get(message.id);
      if (!pending) {
        return;
      }
      this.pending.delete(message.id);
      if (message.error) {
        pending.reject(new ResponseError(message.error.code, `${pending.method}: ${message.error.message}`, message.error.data));
      } else {
        pending.resolve(message.result ?? null);
      }
    }
  }

  private async answer(id: number | string, method: string, params: unknown): Promise<void> {
    const handler = this.requestHandlers.get(method);
    if (!handler) {
      this.send({ jsonrpc: '2.0', id, error: { code: METHOD_NOT_FOUND, message: `${method} is not handled by the playground` } });
      return;
    }
    try {
      const result = await handler(params);
      this.send({ jsonrpc: '2.0', id, result: (result ?? null) as Json });
    } catch (error) {
      this.send({ jsonrpc: '2.0', id, error: { code: -32603, message: String(error) } });
    }
  }
}

export function isCancelled(error: unknown): boolean {
  return error instanceof ResponseError && (error.code === REQUEST_CANCELLED || error.code === -32801);
}
