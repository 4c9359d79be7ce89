import {
  RESUMABLE_CLOSE_CODES,
  WS_CLOSE,
  type ClientMessage,
  type ControlMessage,
  type Notification,
  type Topic,
} from '@batch/contracts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './reconnect-backoff.js';
import { notificationSession } from './notifications-session.js';
import { notificationsUrl } from './notifications-url.js';

/**
 * What the client needs of a WebSocket: the browser's and the `ws` package's both fit. Events are
 * typed `never` here so either's event classes are accepted; both carry `data` on a message and
 * `code`/`reason` on a close.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ResyncMessage = Extract<ControlMessage, { type: 'resync' }>;
export type RefusedMessage = Extract<ControlMessage, { type: 'refused' }>;

/** Why the client stopped for good. */
export type NotificationsEnd =
  | { reason: 'closed' }
  /** The token was missing, refused or expired (4001, 4003): connect again with a new one. */
  | { reason: 'unauthorized'; code: number; message: string }
  /** Too many sockets for this user (4029). */
  | { reason: 'too_many_connections'; code: number; message: string }
  /** The server closed with a code that does not ask to resume. */
  | { reason: 'closed_by_server'; code: number; message: string }
  /** `maxRetries` reconnect attempts in a row did not open a connection. */
  | { reason: 'gave_up'; code: number; message: string };

export interface Reconnecting {
  /** 1 for the first attempt after a connection was lost. */
  attempt: number;
  delayMs: number;
  /** The close code of the connection lost (1006: it never opened, or the network failed). */
  code: number;
  message: string;
  /** Whether the connection lost had opened. */
  wasOpen: boolean;
}

export interface NotificationHandlers {
  /** Each notification once, in `seq` order. */
  onNotification?(notification: Notification): void;
  /** Every control message (welcome, subscribed, pong, resumed, resync, refused...). */
  onControl?(message: ControlMessage): void;
  /** What was missed cannot be replayed: refetch state over REST; live messages follow. */
  onResync?(message: ResyncMessage): void;
  /** A subscription or message was refused; a topic refused as not found is no longer followed. */
  onRefused?(message: RefusedMessage): void;
  onOpen?(info: { url: string }): void;
  onReconnecting?(info: Reconnecting): void;
  /** A message that is not in the protocol (ignored). */
  onInvalidMessage?(info: { text: string; reason: string }): void;
  onEnd?(end: NotificationsEnd): void;
}

export interface NotificationsOptions extends NotificationHandlers {
  /**
   * The gateway, e.g. `https://batch.example.com`; several replicas are tried in turn, and a
   * function is asked again before each connection.
   */
  baseUrl: string | readonly string[] | (() => string);
  /** A JWT, or a function giving the current one before each connection. */
  token: string | (() => string | Promise<string>);
  topics?: readonly string[];
  /** Resume after this `seq` (one kept from an earlier client). */
  lastSeq?: number;
  /** Defaults to `globalThis.WebSocket`; on Node 20 pass the `ws` package's `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  backoff?: Partial<BackoffOptions>;
  /** Reconnect attempts in a row that may fail before the client gives up (default: never). */
  maxRetries?: number;
  /** Sends `ping` this often and drops a connection that stays silent for as long again (0: off). */
  pingIntervalMs?: number;
  /** For the jitter; tests pass a fixed one. */
  random?: () => number;
}

export type NotificationsState = 'connecting' | 'open' | 'waiting' | 'ended';

export interface NotificationsSocket {
  /** The highest `seq` received (0 before the first): keep it to resume a later client. */
  readonly lastSeq: number;
  readonly topics: readonly Topic[];
  readonly state: NotificationsState;
  /** Resolves when the client stopped for good. */
  readonly ended: Promise<NotificationsEnd>;
  subscribe(topics: readonly string[]): void;
  unsubscribe(topics: readonly string[]): void;
  /** Ends for good. */
  close(): void;
}

interface Connection {
  socket: WebSocketLike;
  openedAt?: number;
  /** Whether anything arrived since the last ping. */
  heard: boolean;
  lastError: string;
  pingTimer?: ReturnType<typeof setInterval>;
}

const OPEN = 1;
const STOPPING: Record<number, 'unauthorized' | 'too_many_connections' | undefined> = {
  [WS_CLOSE.AUTH_TIMEOUT]: 'unauthorized',
  [WS_CLOSE.UNAUTHORIZED]: 'unauthorized',
  [WS_CLOSE.TOO_MANY_CONNECTIONS]: 'too_many_connections',
};
/** Our own close of a connection that stopped answering; the server never sends it. */
const SILENT_CLOSE = { code: 4000, message: 'no answer to ping' } as const;
const ignore = () => undefined;

/**
 * A WebSocket client of `/ws` that survives disconnects: it reconnects with backoff and opens each
 * new connection with `resume {lastSeq, topics}`, so every notification arrives once and in order.
 */
export function connectNotifications(options: NotificationsOptions): NotificationsSocket {
  const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocketClass === undefined)
    throw new TypeError('no WebSocket here: pass options.WebSocket (on Node 20, the ws package’s WebSocket)');
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const random = options.random ?? Math.random;
  const maxRetries = options.maxRetries ?? Number.POSITIVE_INFINITY;
  const nextBaseUrl = baseUrlsOf(options.baseUrl);
  const session = notificationSession({ topics: options.topics, lastSeq: options.lastSeq });

  let state: NotificationsState = 'connecting';
  let current: Connection | undefined;
  /** Reconnect attempts since the last connection that lived long enough. */
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let endWith!: (end: NotificationsEnd) => void;
  const ended = new Promise<NotificationsEnd>((resolve) => (endWith = resolve));

  const send = (message: ClientMessage) => {
    if (current?.socket.readyState === OPEN) current.socket.send(JSON.stringify(message));
  };

  /** Leaves a connection behind: its late events must not reach us (handlers stay: `ws` throws an unheard error). */
  const abandon = (connection: Connection, code: number, message: string) => {
    clearInterval(connection.pingTimer);
    const old = connection.socket;
    old.onopen = ignore;
    old.onmessage = ignore;
    old.onclose = ignore;
    old.onerror = ignore;
    if (old.readyState <= OPEN) old.close(code, message);
    if (current === connection) current = undefined;
  };

  const end = (outcome: NotificationsEnd) => {
    if (state === 'ended') return;
    state = 'ended';
    clearTimeout(retryTimer);
    if (current !== undefined) abandon(current, 1000, 'client closed');
    options.onEnd?.(outcome);
    endWith(outcome);
  };

  const lost = (connection: Connection | undefined, code: number, message: string) => {
    if (connection !== undefined) abandon(connection, code, message);
    if (state === 'ended') return;
    const stopping = STOPPING[code];
    if (stopping !== undefined) return end({ reason: stopping, code, message });
    if (!RESUMABLE_CLOSE_CODES.includes(code) && code !== SILENT_CLOSE.code)
      return end({ reason: 'closed_by_server', code, message });
    const openedAt = connection?.openedAt;
    if (openedAt !== undefined && Date.now() - openedAt >= backoff.resetAfterMs) failures = 0;
    if (failures >= maxRetries) return end({ reason: 'gave_up', code, message });
    const delayMs = backoffDelay(failures, backoff, random);
    failures += 1;
    state = 'waiting';
    options.onReconnecting?.({ attempt: failures, delayMs, code, message, wasOpen: openedAt !== undefined });
    // onReconnecting may have closed the client.
    if (state === 'waiting') retryTimer = setTimeout(() => void open(), delayMs);
  };

  /** A connection that stays silent for a whole interval after a ping is gone, whatever TCP thinks. */
  const startPinging = (connection: Connection) => {
    const every = options.pingIntervalMs ?? 0;
    if (every <= 0) return;
    connection.pingTimer = setInterval(() => {
      if (!connection.heard) return lost(connection, SILENT_CLOSE.code, SILENT_CLOSE.message);
      connection.heard = false;
      send({ type: 'ping' });
    }, every);
  };

  const deliver = (text: string) => {
    const received = session.receive(text);
    switch (received.kind) {
      case 'notification':
        return options.onNotification?.(received.notification);
      case 'duplicate':
        return;
      case 'invalid':
        return options.onInvalidMessage?.({ text: received.text, reason: received.reason });
      case 'control': {
        const { message } = received;
        options.onControl?.(message);
        if (message.type === 'resync') options.onResync?.(message);
        if (message.type === 'refused') options.onRefused?.(message);
        return;
      }
      default: {
        const unhandled: never = received;
        throw new Error(`unhandled message ${JSON.stringify(unhandled)}`);
      }
    }
  };

  const open = async () => {
    state = 'connecting';
    let url: string;
    try {
      url = notificationsUrl(nextBaseUrl(), await tokenOf(options.token));
    } catch (error) {
      return lost(undefined, 1006, `cannot build the connection URL: ${messageOf(error)}`);
    }
    if (state !== 'connecting') return;
    const connection: Connection = { socket: new WebSocketClass(url), heard: true, lastError: '' };
    current = connection;
    const { socket } = connection;
    socket.onopen = () => {
      connection.openedAt = Date.now();
      state = 'open';
      const opening = session.openingMessage();
      if (opening !== undefined) send(opening);
      startPinging(connection);
      options.onOpen?.({ url: withoutToken(url) });
    };
    socket.onmessage = (event: { data: unknown }) => {
      connection.heard = true;
      const text = textOf(event.data);
      if (text === undefined) options.onInvalidMessage?.({ text: '', reason: 'not a text message' });
      else deliver(text);
    };
    socket.onerror = (event: { message?: unknown }) => {
      if (typeof event.message === 'string') connection.lastError = event.message;
    };
    socket.onclose = (event: { code: number; reason: string }) =>
      lost(connection, event.code, event.reason || connection.lastError || `closed (${event.code})`);
  };

  void open();

  return {
    get lastSeq() {
      return session.lastSeq;
    },
    get topics() {
      return session.topics;
    },
    get state() {
      return state;
    },
    ended,
    subscribe(topics) {
      const added = session.subscribe(topics);
      if (added.length > 0) send({ type: 'subscribe', topics: added });
    },
    unsubscribe(topics) {
      const removed = session.unsubscribe(topics);
      if (removed.length > 0) send({ type: 'unsubscribe', topics: removed });
    },
    close: () => end({ reason: 'closed' }),
  };
}

/** The base URL for each connection: the only one, the next replica in turn, or the provider's answer. */
function baseUrlsOf(baseUrl: NotificationsOptions['baseUrl']): () => string {
  if (typeof baseUrl === 'function') return baseUrl;
  const urls = typeof baseUrl === 'string' ? [baseUrl] : [...baseUrl];
  if (urls.length === 0) throw new TypeError('no base URL');
  // A mistyped URL is the caller's mistake: say so now rather than retry it forever.
  for (const url of urls) notificationsUrl(url, '');
  let next = 0;
  return () => urls[next++ % urls.length];
}

const tokenOf = async (token: NotificationsOptions['token']): Promise<string> =>
  typeof token === 'function' ? token() : token;

const decoder = new TextDecoder();

/** Text frames arrive as strings (browser, `ws`); bytes are decoded, anything else is not ours. */
function textOf(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer || data instanceof Uint8Array) return decoder.decode(data);
  return undefined;
}

const withoutToken = (url: string): string => url.replace(/([?&]token=)[^&]*/, '$1…');

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
