import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  connectNotifications,
  type BatchView,
  type ControlMessage,
  type Notification,
  type NotificationHandlers,
  type NotificationsEnd,
  type NotificationsOptions,
  type NotificationsSocket,
  type Reconnecting,
} from '@batch/client';
import { itemsOf, startPlatform, type Caller, type Platform } from '@batch/testing';
import { cuttableProxy } from './proxies.spec-helpers.js';

/*
 * The client of libs/client against real gateways (here, not in libs/client, because a library
 * shared with the browser may not depend on the test platform).
 */

jest.setTimeout(180_000);

let platform: Platform;
let caller: Caller;

beforeAll(async () => {
  // Progress a few times a second: a cut connection then always misses some.
  platform = await startPlatform({}, { PROGRESS_FACT_INTERVAL_MS: '100' });
  caller = await platform.as('notifications-client-user');
}, 120_000);

afterAll(() => platform?.close());

interface Follower {
  socket: NotificationsSocket;
  notifications: Notification[];
  controls: ControlMessage[];
  reconnects: Reconnecting[];
  opened: string[];
  /** Resolves once `condition` holds (checked on every event); rejects if the client ends first. */
  until(what: string, condition: () => boolean): Promise<void>;
}

type Settings = Omit<NotificationsOptions, keyof NotificationHandlers | 'WebSocket'>;

function follow(settings: Settings): Follower {
  const checks = new Set<() => void>();
  let end: NotificationsEnd | undefined;
  /** Keeps what happened, then checks the waits. */
  const record =
    <T>(into: T[]) =>
    (value: T) => {
      into.push(value);
      checks.forEach((check) => check());
    };
  const follower: Omit<Follower, 'socket'> = {
    notifications: [],
    controls: [],
    reconnects: [],
    opened: [],
    until: (what, condition) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (condition()) resolve();
          else if (end !== undefined) reject(new Error(`${what}: the client ended (${JSON.stringify(end)})`));
          else return;
          checks.delete(check);
        };
        checks.add(check);
        check();
      }),
  };
  const socket = connectNotifications({
    ...settings,
    WebSocket,
    onNotification: record(follower.notifications),
    onControl: record(follower.controls),
    onReconnecting: record(follower.reconnects),
    onOpen: ({ url }) => record(follower.opened)(url),
    onEnd: (ended) => {
      end = ended;
      checks.forEach((check) => check());
    },
  });
  return { ...follower, socket };
}

async function pendingBatch(items: number): Promise<string> {
  const created = await caller.call<BatchView>('POST', '/api/v1/batches', {
    name: 'followed over /ws',
    items: itemsOf(items),
    config: { provider: 'template' },
    autoStart: false,
  });
  expect(created.status).toBe(201);
  return created.body.batch_id;
}

async function start(batchId: string): Promise<void> {
  expect((await caller.call('POST', `/api/v1/batches/${batchId}/start`)).status).toBe(200);
}

const subscribedTo = (follower: Follower, topic: string) =>
  follower.until(`subscribed to ${topic}`, () =>
    follower.controls.some((message) => message.type === 'subscribed' && message.topics.includes(topic)),
  );

const progressOf = (follower: Follower) =>
  follower.notifications.flatMap((message) => (message.type === 'batch.progress' ? [message.payload] : []));
const statusesOf = (follower: Follower) =>
  follower.notifications.flatMap((message) =>
    message.type === 'batch.status' ? [message.payload.status] : [],
  );
const seqsOf = (follower: Follower) => follower.notifications.map((message) => message.seq);

/** The batch completed and its exact final counts came (in either order). */
const untilCompleted = (follower: Follower, total: number) =>
  follower.until('completed with its final counts', () => {
    const last = progressOf(follower).at(-1);
    return (
      statusesOf(follower).includes('completed') &&
      last !== undefined &&
      last.processed_count === total &&
      last.pending_count === 0
    );
  });

/**
 * A token for the client under test that holds its reconnection until `reference` has a
 * notification the tested client had not received when it lost its connection: the test decides
 * when it may come back, so the gap it must resume over is never empty.
 */
function heldReconnect(reference: Follower) {
  const held = { tested: undefined as Follower | undefined, heardAtLoss: 0 };
  let connections = 0;
  const token = async () => {
    connections += 1;
    if (connections > 1) {
      // Asked after the lost connection's close: what it delivered is all in.
      held.heardAtLoss = held.tested!.notifications.length;
      await reference.until(
        'a notification sent while away',
        () => reference.notifications.length > held.heardAtLoss,
      );
    }
    return caller.token;
  };
  return { held, token };
}

const expectIncreasing = (seqs: number[]) =>
  seqs.slice(1).forEach((seq, index) => expect(seq).toBeGreaterThan(seqs[index]));

describe('the notifications client against the gateway', () => {
  it('follows a batch: progress up to its exact final counts and its completed status, in seq order', async () => {
    const total = 500;
    const batchId = await pendingBatch(total);
    const follower = follow({ baseUrl: platform.baseUrl, token: caller.token, topics: [`batch:${batchId}`] });
    await subscribedTo(follower, `batch:${batchId}`);
    await start(batchId);
    await untilCompleted(follower, total);

    const settled = progressOf(follower).map((payload) => payload.processed_count + payload.failed_count);
    expect(settled).toEqual([...settled].sort((a, b) => a - b));
    expect(progressOf(follower).at(-1)).toMatchObject({
      total_items: total,
      failed_count: 0,
      progress_percent: 100,
    });
    expect(statusesOf(follower).at(-1)).toBe('completed');
    expect(follower.notifications.every((message) => message.topic === `batch:${batchId}`)).toBe(true);
    expectIncreasing(seqsOf(follower));
    expect(follower.reconnects).toEqual([]);

    follower.socket.close();
    await expect(follower.socket.ended).resolves.toEqual({ reason: 'closed' });
  });

  it('resumes over a connection cut mid-batch: every notification once and in order', async () => {
    const total = 3_000;
    const batchId = await pendingBatch(total);
    const topic = `batch:${batchId}`;
    const proxy = await cuttableProxy(platform.baseUrl);
    const reference = follow({ baseUrl: platform.baseUrl, token: caller.token, topics: [topic] });
    const { held, token } = heldReconnect(reference);
    const cut = (held.tested = follow({ baseUrl: proxy.baseUrl, token, topics: [topic] }));
    try {
      await Promise.all([subscribedTo(reference, topic), subscribedTo(cut, topic)]);
      await start(batchId);
      await cut.until('a first progress', () => progressOf(cut).length > 0);

      proxy.cut();

      await Promise.all([untilCompleted(reference, total), untilCompleted(cut, total)]);
      expect(cut.reconnects).toMatchObject([{ attempt: 1, code: 1006, wasOpen: true }]);
      expect(proxy.connections).toBe(2);
      // What was sent while it was cut off came as the replay of its resume.
      const resumed = cut.controls.find((message) => message.type === 'resumed');
      expect(resumed).toMatchObject({ fromSeq: seqsOf(cut)[held.heardAtLoss - 1] });
      expect(resumed?.type === 'resumed' && resumed.replayed).toBeGreaterThanOrEqual(1);
      expect(seqsOf(cut)).toEqual(seqsOf(reference));
      expectIncreasing(seqsOf(cut));
    } finally {
      reference.socket.close();
      cut.socket.close();
      await proxy.close();
    }
  });

  it('moves to another gateway replica when its own shuts down, and resumes there', async () => {
    const total = 3_000;
    const batchId = await pendingBatch(total);
    const topic = `batch:${batchId}`;
    const replica = await platform.gateway();
    const reference = follow({ baseUrl: platform.baseUrl, token: caller.token, topics: [topic] });
    const { held, token } = heldReconnect(reference);
    const moving = (held.tested = follow({
      baseUrl: [replica.baseUrl, platform.baseUrl],
      token,
      topics: [topic],
    }));
    try {
      await Promise.all([subscribedTo(reference, topic), subscribedTo(moving, topic)]);
      await start(batchId);
      await moving.until('a first progress', () => progressOf(moving).length > 0);

      await replica.process.stop();

      await Promise.all([untilCompleted(reference, total), untilCompleted(moving, total)]);
      expect(moving.opened.map((url) => new URL(url).port)).toEqual([
        new URL(replica.baseUrl).port,
        new URL(platform.baseUrl).port,
      ]);
      expect(moving.reconnects).toMatchObject([{ attempt: 1, wasOpen: true }]);
      expect([1001, 1006]).toContain(moving.reconnects[0].code);
      const resumed = moving.controls.find((message) => message.type === 'resumed');
      expect(resumed).toMatchObject({ fromSeq: seqsOf(moving)[held.heardAtLoss - 1] });
      expect(resumed?.type === 'resumed' && resumed.replayed).toBeGreaterThanOrEqual(1);
      expect(seqsOf(moving)).toEqual(seqsOf(reference));
      expectIncreasing(seqsOf(moving));
    } finally {
      reference.socket.close();
      moving.socket.close();
    }
  });

  it('stops for good when the token is refused', async () => {
    const follower = follow({ baseUrl: platform.baseUrl, token: 'not-a-jwt', topics: ['user'] });
    await expect(follower.socket.ended).resolves.toMatchObject({ reason: 'unauthorized', code: 4003 });
    expect(follower.reconnects).toEqual([]);
  });
});
