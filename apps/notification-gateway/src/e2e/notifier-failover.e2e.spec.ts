import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { BatchView, Notification, ServerMessage, StoredNotification } from '@batch/contracts';
import { notificationSubject } from '@batch/messaging';
import { isControl, isNotification, itemsOf, openSocket, startPlatform, type Platform } from '@batch/testing';

jest.setTimeout(180_000);

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({}, { NOTIFIER_LEASE_MS: '1000' });
}, 120_000);
afterAll(() => platform?.close());

/** Every notification stored for a user, in order. */
async function stored(userId: string): Promise<StoredNotification[]> {
  const { nc, names } = platform.nats;
  const subject = notificationSubject(names, userId);
  const newest = await (
    await jetstreamManager(nc)
  ).streams.getMessage(names.notificationsStream, {
    last_by_subj: subject,
  });
  const consumer = await jetstream(nc).consumers.get(names.notificationsStream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const found: StoredNotification[] = [];
  for await (const message of messages) {
    found.push(message.json<StoredNotification>());
    if (message.seq >= newest!.seq) break;
  }
  messages.stop();
  return found;
}

describe('the notifier', () => {
  it('moves to another gateway replica when the one holding its lease is SIGKILLed mid-batch: nothing told twice, the end told', async () => {
    const lines = platform.gatewayProcess.lines;
    expect(lines.some((line) => line.includes('this replica turns facts into notifications'))).toBe(true);
    const other = await platform.gateway();
    const user = await platform.as('failover');
    const socket = await openSocket(other.baseUrl, user.token);
    socket.send({ type: 'subscribe', topics: ['user'] });
    await socket.next(isControl('subscribed'));

    const total = 3_000;
    const created = await user.call<BatchView>('POST', '/api/v1/batches', {
      items: itemsOf(total, 'failover').map((item) => ({ ...item, parameters: { latencyMs: 5 } })),
      config: { provider: 'template' },
    });
    expect(created.status).toBe(201);
    const batchId = created.body.batch_id;
    const progress = (message: ServerMessage): message is Extract<Notification, { type: 'batch.progress' }> =>
      isNotification(message) && message.type === 'batch.progress' && message.topic === `batch:${batchId}`;
    await socket.next(progress);
    platform.gatewayProcess.child.kill('SIGKILL');

    await socket.next(
      (message) =>
        progress(message) && message.payload.pending_count === 0 && message.payload.status === 'completed',
    );
    expect(
      other.process.lines.some((line) => line.includes('this replica turns facts into notifications')),
    ).toBe(true);
    const told = (await stored('failover')).filter(
      (notification) => notification.topic === `batch:${batchId}`,
    );
    const statuses = told.flatMap((notification) =>
      notification.type === 'batch.status' ? [notification.payload.status] : [],
    );
    expect(statuses.at(-1)).toBe('completed');
    expect(new Set(statuses).size).toBe(statuses.length);
    const last = told.filter((notification) => notification.type === 'batch.progress').at(-1)!;
    expect(last.payload).toMatchObject({ processed_count: total, failed_count: 0, pending_count: 0 });
    const seqs = socket.notifications().map((message) => message.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    socket.close();
  });
});
