import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ClientMessage, ControlMessage, Notification, ServerMessage } from '@batch/contracts';

export interface Closed {
  code: number;
  reason: string;
}

export interface TestSocket {
  /** Every message received, parsed, in order; `frames` the same as the text that came. */
  messages: ServerMessage[];
  frames: string[];
  notifications(): Notification[];
  send(message: ClientMessage | Record<string, unknown>): void;
  /** Resolves with the first message from `from` on (default: all so far) that matches; rejects on timeout or close. */
  next<T extends ServerMessage>(match: (message: ServerMessage) => message is T, from?: number): Promise<T>;
  next<T extends ServerMessage = ServerMessage>(
    match: (message: ServerMessage) => boolean,
    from?: number,
  ): Promise<T>;
  /** Resolves once `condition` holds over everything received (checked on each message). */
  until(condition: (messages: ServerMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  closed: Promise<Closed>;
  /** Stops reading from the TCP socket (the server's writes back up), and starts again. */
  pauseReading(): void;
  resumeReading(): void;
  /** Drops the connection without a closing handshake, as a lost network does. */
  terminate(): void;
  close(): void;
}

export const isNotification = (message: ServerMessage): message is Notification => 'seq' in message;
export const isControl =
  <T extends ControlMessage['type']>(type: T) =>
  (message: ServerMessage): message is Extract<ControlMessage, { type: T }> =>
    !isNotification(message) && message.type === type;

/** A WebSocket to a gateway's `/ws` for tests: it records what comes and lets a test wait for it. */
export async function openSocket(baseUrl: string, token?: string, timeoutMs = 60_000): Promise<TestSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url);
  const messages: ServerMessage[] = [];
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  let ended: Closed | undefined;
  const closed = new Promise<Closed>((resolve) =>
    ws.on('close', (code, reason) => {
      ended = { code, reason: reason.toString() };
      resolve(ended);
      waiters.forEach((check) => check());
    }),
  );
  ws.on('message', (data) => {
    const text = data.toString();
    frames.push(text);
    messages.push(JSON.parse(text) as ServerMessage);
    waiters.forEach((check) => check());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);

  const wait = (check: () => boolean, what: () => string, limitMs = timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(run);
        reject(new Error(`${what()} not seen after ${limitMs} ms (${messages.length} messages)`));
      }, limitMs);
      const run = () => {
        if (check()) {
          clearTimeout(timer);
          waiters.delete(run);
          resolve();
        } else if (ended) {
          clearTimeout(timer);
          waiters.delete(run);
          reject(new Error(`${what()} not seen before the socket closed (${ended.code} ${ended.reason})`));
        }
      };
      waiters.add(run);
      run();
    });

  const socket: TestSocket = {
    messages,
    frames,
    notifications: () => messages.filter(isNotification),
    send: (message) => ws.send(JSON.stringify(message)),
    next: (async (match: (message: ServerMessage) => boolean, from = 0) => {
      let found: ServerMessage | undefined;
      await wait(
        () => (found = messages.slice(from).find(match)) !== undefined,
        () => `a matching message (${match.toString().slice(0, 120)})`,
      );
      return found;
    }) as TestSocket['next'],
    until: (condition, limitMs) =>
      wait(
        () => condition(messages),
        () => 'the condition',
        limitMs,
      ),
    closed,
    pauseReading: () => (ws as unknown as { _socket: Socket })._socket.pause(),
    resumeReading: () => (ws as unknown as { _socket: Socket })._socket.resume(),
    terminate: () => ws.terminate(),
    close: () => ws.close(),
  };
  return socket;
}
