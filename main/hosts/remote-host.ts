import WebSocket from 'ws';
import { createClient, type ForkscopeClient } from '../../contract/client';
import { eventFrame, responseFrame, type ServerFrame } from '../../contract/frames';
import type { HostRecord, HostState, RefusalReason } from '../../contract/hosts';
import { apiPath, tokenProtocolPrefix } from '../../contract/transport';

/** First retry after a loss, doubled each failure up to `maxRetryMs`. */
const firstRetryMs = 250;
const maxRetryMs = 10_000;
/** A refusal does not fix itself (the token changes only when the other side restarts): retried slowly. */
const refusedRetryMs = 30_000;
const handshakeMs = 10_000;
/** The most a remote answer may weigh: the same bound serve mode puts on what it receives. */
const maxRemoteFrameBytes = 64 * 1024 * 1024;

/** What a refusing serve mode's HTTP status means (main/serve/server.ts answers the upgrade with it). */
function refusalOf(status: number): RefusalReason {
  if (status === 401) return 'token';
  if (status === 421) return 'host-header';
  if (status === 403) return 'origin';
  return 'not-forkscope';
}

const serverFrame = responseFrame.or(eventFrame);

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The API's WebSocket address for a serve-mode address (`http://h:p/#token=…` → `ws://h:p/api`),
 * or for the tunnel's local port it is reached through.
 */
export function apiUrlOf(url: URL, via: number | null): string {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return `${secure ? 'wss' : 'ws'}://${via === null ? url.host : `127.0.0.1:${via}`}${apiPath}`;
}

/**
 * One other host's serve mode: a WebSocket client that presents the token as serve mode's guard
 * expects (the subprotocol; no Origin, as any non-browser client; the Host header is the address
 * as the other side printed it, also through a tunnel on another local port), the contract's typed client over
 * it, and reconnection with backoff. The token lives in this object only: never logged, never in
 * a record.
 */
export class RemoteHost {
  readonly client: ForkscopeClient;
  #state: HostState = 'connecting';
  #refusal: RefusalReason | null = null;
  #detail: string | null = null;
  #retryAt: number | null = null;
  #retryMs = firstRetryMs;
  #socket: WebSocket | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  readonly #frameListeners = new Set<(frame: ServerFrame) => void>();
  readonly #closeListeners = new Set<(reason: string) => void>();
  readonly #openListeners = new Set<() => void>();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly url: URL,
    /** A local tunnel port to connect through, presenting `url`'s host (the other side checks it). */
    readonly via: number | null,
    private token: string,
    private readonly onChange: (record: HostRecord) => void,
  ) {
    this.client = createClient({
      send: (frame) => {
        if (this.#socket?.readyState !== WebSocket.OPEN) {
          throw new Error('not connected');
        }
        this.#socket.send(JSON.stringify(frame));
      },
      onFrame: (listener) => {
        this.#frameListeners.add(listener);
        return () => this.#frameListeners.delete(listener);
      },
      onClose: (listener) => void this.#closeListeners.add(listener),
      onOpen: (listener) => void this.#openListeners.add(listener),
    });
    this.#connect();
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  record(): HostRecord {
    return {
      id: this.id,
      name: this.name,
      url: this.url.origin,
      via: this.via,
      loopback: this.via !== null || isLoopback(this.url.hostname),
      state: this.#state,
      refusal: this.#refusal,
      detail: this.#detail,
      retryAt: this.#retryAt,
    };
  }

  /**
   * A new token for a host not connected (its serve mode restarted and printed another): the
   * attempt under way or waiting is dropped, and one is made at once with it.
   */
  retryWith(token: string): void {
    if (this.connected || this.#closed) return;
    this.token = token;
    if (this.#timer) clearTimeout(this.#timer);
    const stale = this.#socket;
    // Its 'close' is ignored (it is no longer the socket); no call can wait on it, none was connected.
    this.#socket = null;
    stale?.terminate();
    this.#retryMs = firstRetryMs;
    this.#set('connecting', null, null, null);
    this.#connect();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.terminate();
    this.#socket = null;
    // Its 'close' event is ignored from now on: calls still waiting fail here.
    this.client.failPending(`${this.name} was removed.`);
  }

  #set(state: HostState, refusal: RefusalReason | null, detail: string | null, retryAt: number | null) {
    this.#state = state;
    this.#refusal = refusal;
    this.#detail = detail;
    this.#retryAt = retryAt;
    if (!this.#closed) this.onChange(this.record());
  }

  #connect() {
    this.#timer = null;
    if (this.#closed) return;
    // A refusal stays shown while it is retried: "connecting" would hide why it failed.
    if (this.#state !== 'refused') this.#set('connecting', null, this.#detail, null);
    const ws = new WebSocket(apiUrlOf(this.url, this.via), [tokenProtocolPrefix + this.token], {
      // Through a tunnel, the Host the other side expects is its own address, not the tunnel's.
      ...(this.via !== null ? { headers: { Host: this.url.host } } : {}),
      handshakeTimeout: handshakeMs,
      maxPayload: maxRemoteFrameBytes,
      perMessageDeflate: false,
    });
    this.#socket = ws;
    let refused: { reason: RefusalReason; status: number } | null = null;
    let lastError: string | null = null;
    ws.on('unexpected-response', (_request, response) => {
      refused = { reason: refusalOf(response.statusCode ?? 0), status: response.statusCode ?? 0 };
      response.resume();
      // With a listener here ws leaves the handshake open: end it, which emits 'close'.
      ws.terminate();
    });
    ws.on('error', (error: NodeJS.ErrnoException) => {
      lastError = error.code ?? error.message;
    });
    ws.on('open', () => {
      this.#retryMs = firstRetryMs;
      // A new socket is a new connection: the client subscribes again to what it listens to, first.
      for (const listener of this.#openListeners) listener();
      this.#set('connected', null, null, null);
    });
    ws.on('message', (data) => this.#receive(String(data)));
    ws.on('close', (code, reason) => {
      if (this.#socket !== ws) return;
      this.#socket = null;
      const was = this.#state;
      for (const listener of this.#closeListeners) listener(`The connection to ${this.name} was lost.`);
      if (this.#closed) return;
      if (refused) {
        const retryAt = Date.now() + refusedRetryMs;
        this.#set('refused', refused.reason, `HTTP ${refused.status}`, retryAt);
        this.#timer = setTimeout(() => this.#connect(), refusedRetryMs);
        return;
      }
      const why =
        was === 'connected'
          ? `connection lost (${code}${reason.length > 0 ? ` ${String(reason)}` : ''})`
          : (lastError ?? `closed (${code})`);
      const wait = this.#retryMs;
      this.#retryMs = Math.min(this.#retryMs * 2, maxRetryMs);
      this.#set('unreachable', null, why, Date.now() + wait);
      this.#timer = setTimeout(() => this.#connect(), wait);
    });
  }

  /** Frames from the other host are checked for shape here; results and payloads by the relay, with the contract. */
  #receive(text: string) {
    let frame: ServerFrame;
    try {
      const parsed = serverFrame.safeParse(JSON.parse(text));
      if (!parsed.success) return;
      frame = parsed.data as ServerFrame;
    } catch {
      return;
    }
    for (const listener of this.#frameListeners) listener(frame);
  }
}
