import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { jetstream } from '@nats-io/jetstream';
import { WS_CLOSE, type StoredNotification } from '@batch/contracts';
import { publishNotification } from '@batch/messaging';
import {
  isControl,
  openSocket,
  peakRss,
  startPlatform,
  type Platform,
  type TestSocket,
} from '@batch/testing';

jest.setTimeout(240_000);

const MAX_BUFFERED = 256 * 1024;

let platform: Platform;
/** A gateway replica with a small send buffer limit and few sockets per user. */
let limited: { baseUrl: string; pid: number };

beforeAll(async () => {
  platform = await startPlatform();
  const replica = await platform.gateway({
    WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
    WS_MAX_CONNECTIONS_PER_USER: '3',
  });
  limited = { baseUrl: replica.baseUrl, pid: replica.process.child.pid! };
}, 120_000);
afterAll(() => platform?.close());

async function subscribed(token: string): Promise<TestSocket> {
  const socket = await openSocket(limited.baseUrl, token);
  await socket.next(isControl('welcome'));
  socket.send({ type: 'subscribe', topics: ['user'] });
  await socket.next(isControl('subscribed'));
  return socket;
}

/** Stores `count` notifications of about `bytes` each for `userId`, many in flight; answers the last sequence. */
async function flood(userId: string, count: number, bytes: number): Promise<number> {
  const js = jetstream(platform.nats.nc);
  const filler = 'x'.repeat(bytes);
  let last = 0;
  for (let start = 0; start < count; start += 500) {
    const seqs = await Promise.all(
      Array.from({ length: Math.min(500, count - start) }, (_, index) => {
        const notification: StoredNotification = {
          userId,
          topic: 'user',
          at: new Date().toISOString(),
          type: 'backup.progress',
          payload: {
            id: `flood-${start + index}`,
            status: 'running',
            processed: start + index,
            total: count,
            message: filler,
          },
        };
        return publishNotification(js, platform.nats.names, notification, `flood-${userId}-${start + index}`);
      }),
    );
    last = Math.max(last, ...seqs);
  }
  return last;
}

describe('/ws limits', () => {
  it("cuts off a client that stops reading (4008) while the gateway's memory stays bounded", async () => {
    const slow = await subscribed((await platform.as('ws-slow')).token);
    const witness = await subscribed((await platform.as('ws-witness')).token);
    slow.pauseReading();
    const count = 32_000;
    const bytes = 5_000;
    const rssBefore = peakRss(limited.pid);
    await flood('ws-slow', count, bytes);
    // The feed is in order: once another user's next notification arrives, the gateway has handled the flood.
    const marker = await flood('ws-witness', 1, 10);
    await witness.until((messages) => messages.some((message) => 'seq' in message && message.seq === marker));
    const growth = peakRss(limited.pid) - rssBefore;
    slow.resumeReading();
    const closed = await slow.closed;
    // The close frame waits behind what was buffered; a gateway that waited long for the stalled
    // client's answer drops the connection, and the client sees 1006 instead.
    expect([WS_CLOSE.SLOW_CONSUMER, 1006]).toContain(closed.code);
    const metrics = await (await fetch(`${limited.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^ws_closed_by_server_total\{reason="slow_consumer"\} 1$/m);
    expect(slow.notifications().length).toBeLessThan(count / 2);
    // 160 MB went through; what the stalled socket was not sent was never held.
    expect(growth).toBeLessThan((count * bytes) / 2);
    console.log(
      `slow client: cut off after ${slow.notifications().length} of ${count}; gateway peak RSS grew ${(growth / 2 ** 20).toFixed(0)} MiB while ${((count * bytes) / 2 ** 20).toFixed(0)} MiB passed`,
    );
    witness.close();
  });

  it('refuses a socket beyond the per-user limit with 4029', async () => {
    const user = await platform.as('ws-many');
    const open = await Promise.all([1, 2, 3].map(() => subscribed(user.token)));
    const fourth = await openSocket(limited.baseUrl, user.token);
    const closed = await fourth.closed;
    expect(closed.code).toBe(WS_CLOSE.TOO_MANY_CONNECTIONS);
    open.forEach((socket) => socket.close());
  });
});
