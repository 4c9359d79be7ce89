import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ControlMessage, Notification } from '@batch/contracts';
import {
  connectNotifications,
  type NotificationsEnd,
  type NotificationsOptions,
  type Reconnecting,
} from './notifications-socket.js';
import { completed, progress, text, welcome } from './notifications.spec-helpers.js';

/** A WebSocket the test drives: it opens, speaks and closes when told. */
class FakeSocket {
  static made: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  serverOpens() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSends(...messages: unknown[]) {
    for (const message of messages) this.onmessage?.({ data: text(message) });
  }
  serverCloses(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  networkFails(message: string) {
    this.onerror?.({ message });
    this.serverCloses(1006);
  }
}

const latest = () => FakeSocket.made[FakeSocket.made.length - 1];
const settle = () => jest.advanceTimersByTimeAsync(0);

interface Heard {
  notifications: Notification[];
  controls: ControlMessage[];
  reconnects: Reconnecting[];
  ends: NotificationsEnd[];
}

async function connected(options: Partial<NotificationsOptions> = {}) {
  const heard: Heard = { notifications: [], controls: [], reconnects: [], ends: [] };
  const client = connectNotifications({
    baseUrl: 'http://gateway:3000',
    token: 'jwt',
    topics: ['batch:b1'],
    WebSocket: FakeSocket,
    random: () => 0,
    onNotification: (notification) => heard.notifications.push(notification),
    onControl: (message) => heard.controls.push(message),
    onReconnecting: (info) => heard.reconnects.push(info),
    onEnd: (end) => heard.ends.push(end),
    ...options,
  });
  await settle();
  return { client, heard };
}

beforeEach(() => {
  FakeSocket.made = [];
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('a connection', () => {
  it('opens /ws with the token and subscribes as its first message', async () => {
    const { client, heard } = await connected();
    expect(latest().url).toBe('ws://gateway:3000/ws?token=jwt');
    expect(client.state).toBe('connecting');
    latest().serverOpens();
    latest().serverSends(welcome(0), { type: 'subscribed', topics: ['batch:b1'] }, progress(1), progress(2));
    expect(latest().sent).toEqual([{ type: 'subscribe', topics: ['batch:b1'] }]);
    expect(heard.notifications.map((notification) => notification.seq)).toEqual([1, 2]);
    expect(heard.controls.map((message) => message.type)).toEqual(['welcome', 'subscribed']);
    expect(client).toMatchObject({ state: 'open', lastSeq: 2 });
  });

  it('sends later subscriptions and remembers them for the next connection', async () => {
    const { client } = await connected();
    latest().serverOpens();
    client.subscribe(['backup:k1']);
    client.unsubscribe(['batch:b1']);
    client.subscribe(['backup:k1']);
    expect(latest().sent.slice(1)).toEqual([
      { type: 'subscribe', topics: ['backup:k1'] },
      { type: 'unsubscribe', topics: ['batch:b1'] },
    ]);
    expect(client.topics).toEqual(['backup:k1']);
  });

  it('needs a WebSocket: Node 20 has none of its own', () => {
    expect(() => connectNotifications({ baseUrl: 'http://h', token: 't' })).toThrow(/pass options.WebSocket/);
  });

  it('refuses a base URL it could never connect to', () => {
    expect(() =>
      connectNotifications({ baseUrl: 'gateway:3000', token: 't', WebSocket: FakeSocket }),
    ).toThrow(/not an http\(s\) or ws\(s\) URL/);
  });
});

describe('when a connection is lost', () => {
  it('reconnects after a backoff, to the next replica, and resumes after the last seq it got', async () => {
    const { client, heard } = await connected({ baseUrl: ['http://one:3000', 'http://two:3000'] });
    const first = latest();
    first.serverOpens();
    first.serverSends(welcome(0), progress(1), progress(2));
    first.serverCloses(1001, 'going away');
    expect(heard.reconnects).toEqual([
      { attempt: 1, delayMs: 250, code: 1001, message: 'going away', wasOpen: true },
    ]);
    expect(client.state).toBe('waiting');
    await jest.advanceTimersByTimeAsync(249);
    expect(FakeSocket.made).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    const second = latest();
    expect(second.url).toBe('ws://two:3000/ws?token=jwt');
    second.serverOpens();
    expect(second.sent).toEqual([{ type: 'resume', lastSeq: 2, topics: ['batch:b1'] }]);
    // A replay that overlaps what was received delivers each seq once.
    second.serverSends(progress(2), progress(3), { type: 'resumed', fromSeq: 2, replayed: 2 }, completed(4));
    expect(heard.notifications.map((notification) => notification.seq)).toEqual([1, 2, 3, 4]);
  });

  it('backs off further while attempts fail, and starts over after a connection that lived', async () => {
    const { heard } = await connected({ token: () => Promise.resolve('fresh') });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      latest().networkFails('ECONNREFUSED');
      await jest.advanceTimersByTimeAsync(heard.reconnects[attempt].delayMs);
    }
    expect(heard.reconnects.map((info) => [info.delayMs, info.message, info.wasOpen])).toEqual([
      [250, 'ECONNREFUSED', false],
      [500, 'ECONNREFUSED', false],
      [1_000, 'ECONNREFUSED', false],
    ]);
    latest().serverOpens();
    await jest.advanceTimersByTimeAsync(10_000);
    latest().serverCloses(4008, 'slow consumer');
    expect(heard.reconnects[3]).toMatchObject({ attempt: 1, delayMs: 250, code: 4008 });
    expect(latest().url).toBe('ws://gateway:3000/ws?token=fresh');
  });

  it('gives up after maxRetries attempts in a row', async () => {
    const { client, heard } = await connected({ maxRetries: 2 });
    latest().networkFails('ECONNREFUSED');
    await jest.advanceTimersByTimeAsync(250);
    latest().networkFails('ECONNREFUSED');
    await jest.advanceTimersByTimeAsync(500);
    latest().networkFails('ECONNREFUSED');
    expect(heard.ends).toEqual([{ reason: 'gave_up', code: 1006, message: 'ECONNREFUSED' }]);
    await expect(client.ended).resolves.toEqual(heard.ends[0]);
    expect(FakeSocket.made).toHaveLength(3);
  });

  it('drops a connection that does not answer a ping and resumes on a new one', async () => {
    const { heard } = await connected({ pingIntervalMs: 15_000 });
    const silent = latest();
    silent.serverOpens();
    silent.serverSends(progress(1));
    await jest.advanceTimersByTimeAsync(15_000);
    expect(silent.sent.at(-1)).toEqual({ type: 'ping' });
    await jest.advanceTimersByTimeAsync(15_000);
    expect(silent.closedWith).toEqual({ code: 4000, reason: 'no answer to ping' });
    expect(heard.reconnects).toMatchObject([{ code: 4000 }]);
    await jest.advanceTimersByTimeAsync(250);
    latest().serverOpens();
    expect(latest().sent).toEqual([{ type: 'resume', lastSeq: 1, topics: ['batch:b1'] }]);
  });

  it('keeps a connection that answers its pings', async () => {
    const { heard } = await connected({ pingIntervalMs: 15_000 });
    latest().serverOpens();
    for (let ping = 0; ping < 4; ping += 1) {
      await jest.advanceTimersByTimeAsync(15_000);
      latest().serverSends({ type: 'pong' });
    }
    expect(latest().sent.filter((message) => (message as { type: string }).type === 'ping')).toHaveLength(4);
    expect(heard.reconnects).toEqual([]);
  });
});

describe('when it must stop', () => {
  it.each([
    [4001, 'unauthorized'],
    [4003, 'unauthorized'],
    [4029, 'too_many_connections'],
    [1000, 'closed_by_server'],
    [1008, 'closed_by_server'],
  ])('stops on close code %i (%s) and reports it', async (code, reason) => {
    const { client, heard } = await connected();
    latest().serverOpens();
    latest().serverCloses(code, 'bye');
    expect(heard.ends).toEqual([{ reason, code, message: 'bye' }]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.made).toHaveLength(1);
    expect(client.state).toBe('ended');
  });

  it('ends for good on close(), also while waiting to reconnect', async () => {
    const { client, heard } = await connected();
    latest().serverOpens();
    client.close();
    expect(latest().closedWith).toEqual({ code: 1000, reason: 'client closed' });
    await expect(client.ended).resolves.toEqual({ reason: 'closed' });

    const waiting = await connected();
    latest().networkFails('ECONNRESET');
    waiting.client.close();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.made).toHaveLength(2);
    expect(heard.ends).toEqual([{ reason: 'closed' }]);
  });

  it('reports a resync and a refusal', async () => {
    const resyncs: unknown[] = [];
    const refusals: unknown[] = [];
    const invalid: unknown[] = [];
    await connected({
      onResync: (message) => resyncs.push(message),
      onRefused: (message) => refusals.push(message),
      onInvalidMessage: (info) => invalid.push(info),
    });
    latest().serverOpens();
    latest().serverSends(
      { type: 'resync', reason: 'lastSeq aged out', lastSeq: 50 },
      { type: 'refused', code: 'not_found', message: 'no such batch', topics: ['batch:b1'] },
      { type: 'surprise' },
    );
    expect(resyncs).toEqual([{ type: 'resync', reason: 'lastSeq aged out', lastSeq: 50 }]);
    expect(refusals).toMatchObject([{ code: 'not_found', topics: ['batch:b1'] }]);
    expect(invalid).toMatchObject([{ text: '{"type":"surprise"}' }]);
  });
});
