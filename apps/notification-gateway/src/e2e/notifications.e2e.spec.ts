import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  WS_CLOSE,
  type BatchProgressPayload,
  type BatchStatusPayload,
  type BatchView,
  type ErrorDetailsView,
  type ErrorNotificationPayload,
  type Notification,
  type ServerMessage,
} from '@batch/contracts';
import { notificationSubject } from '@batch/messaging';
import {
  isControl,
  isNotification,
  itemsOf,
  openSocket,
  startPlatform,
  type Caller,
  type Platform,
  type TestSocket,
} from '@batch/testing';

jest.setTimeout(180_000);

const DEDUP_WINDOW_MS = 1_000;
const PROGRESS_INTERVAL_MS = 500;

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform(
    {},
    {
      WS_AUTH_TIMEOUT_MS: '500',
      ERROR_DEDUP_WINDOW_MS: String(DEDUP_WINDOW_MS),
      PROGRESS_FACT_INTERVAL_MS: String(PROGRESS_INTERVAL_MS),
    },
  );
}, 120_000);
afterAll(() => platform?.close());

type Of<T extends Notification['type']> = Extract<Notification, { type: T }>;
const ofType =
  <T extends Notification['type']>(type: T, batchId?: string) =>
  (message: ServerMessage): message is Of<T> =>
    isNotification(message) &&
    message.type === type &&
    (batchId === undefined || message.topic === `batch:${batchId}`);

const progressOf = (socket: TestSocket, batchId: string) =>
  socket.messages.filter(ofType('batch.progress', batchId)).map((message) => message.payload);
const statusesOf = (socket: TestSocket, batchId: string) =>
  socket.messages.filter(ofType('batch.status', batchId)).map((message) => message.payload.status);

const ended = (batchId: string) => (message: ServerMessage) =>
  ofType('batch.status', batchId)(message) && ['completed', 'failed'].includes(message.payload.status);

/** The final progress: the batch's exact counts once it ended. */
const finalProgress = (batchId: string, total: number) => (message: ServerMessage) =>
  ofType('batch.progress', batchId)(message) &&
  message.payload.pending_count === 0 &&
  message.payload.processed_count + message.payload.failed_count === total &&
  message.payload.status !== 'running';

/** A socket of `caller`'s, authenticated and subscribed to `topics`. */
async function subscribed(caller: Caller, topics: string[], baseUrl = platform.baseUrl): Promise<TestSocket> {
  const socket = await openSocket(baseUrl, caller.token);
  await socket.next(isControl('welcome'));
  socket.send({ type: 'subscribe', topics });
  await socket.next(isControl('subscribed'));
  return socket;
}

async function createBatch(caller: Caller, items: unknown[]): Promise<string> {
  const created = await caller.call<BatchView>('POST', '/api/v1/batches', {
    items,
    config: { provider: 'template' },
  });
  expect(created.status).toBe(201);
  return created.body.batch_id;
}

/** Every notification of a user in the stream, in order, read straight from NATS. */
async function storedSeqs(userId: string): Promise<number[]> {
  const { nc, names } = platform.nats;
  const subject = notificationSubject(names, userId);
  const jsm = await jetstreamManager(nc);
  const newest = await jsm.streams.getMessage(names.notificationsStream, { last_by_subj: subject });
  const consumer = await jetstream(nc).consumers.get(names.notificationsStream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const seqs: number[] = [];
  for await (const message of messages) {
    seqs.push(message.seq);
    if (message.seq >= newest!.seq) break;
  }
  messages.stop();
  return seqs;
}

const increasing = (seqs: number[]) => seqs.every((seq, index) => index === 0 || seq > seqs[index - 1]!);

describe('/ws: authentication and the protocol', () => {
  it('authenticates by ?token= or a first auth message, and closes a silent or refused socket with its code', async () => {
    const alice = await platform.as('ws-auth-alice');
    const byQuery = await openSocket(platform.baseUrl, alice.token);
    const welcome = await byQuery.next(isControl('welcome'));
    expect(welcome.userId).toBe('ws-auth-alice');
    byQuery.close();

    const byMessage = await openSocket(platform.baseUrl);
    byMessage.send({ type: 'subscribe', topics: ['user'] });
    expect((await byMessage.next(isControl('refused'))).message).toMatch(/authenticate first/);
    byMessage.send({ type: 'auth', token: alice.token });
    expect((await byMessage.next(isControl('welcome'))).userId).toBe('ws-auth-alice');
    byMessage.close();

    const silent = await openSocket(platform.baseUrl);
    const timedOut = await silent.closed;
    expect(timedOut.code).toBe(WS_CLOSE.AUTH_TIMEOUT);
    expect(timedOut.reason).toMatch(/authentication required/);

    const forged = await openSocket(platform.baseUrl, `${alice.token.slice(0, -4)}AAAA`);
    expect((await forged.closed).code).toBe(WS_CLOSE.UNAUTHORIZED);
  });

  it('answers ping, refuses what is not a client message and keeps the connection', async () => {
    const socket = await openSocket(platform.baseUrl, (await platform.as('ws-protocol')).token);
    await socket.next(isControl('welcome'));
    socket.send({ type: 'ping' });
    await socket.next(isControl('pong'));
    socket.send({ type: 'subscribe', topics: ['everything'] });
    const refused = await socket.next(isControl('refused'));
    expect(refused.code).toBe('bad_message');
    expect(refused.message).toMatch(/topics\.0 is not a topic/);
    const from = socket.messages.length;
    socket.send({ type: 'ping' });
    await socket.next(isControl('pong'), from);
    socket.close();
  });
});

describe('/ws: a batch live', () => {
  it("coalesces a batch's progress to a few messages a second, ending with its exact counts and status", async () => {
    const alice = await platform.as('ws-progress');
    const socket = await subscribed(alice, ['user']);
    const total = 3_000;
    const batchId = await createBatch(alice, itemsOf(total, 'fast'));
    await socket.next(finalProgress(batchId, total));
    await socket.next(ended(batchId));

    const progress = progressOf(socket, batchId);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({
      status: 'completed',
      total_items: total,
      processed_count: total,
      failed_count: 0,
      pending_count: 0,
      progress_percent: 100,
      eta_seconds: 0,
    });
    // Coalesced: one message per interval at most, whatever the item rate.
    expect(progress.length).toBeLessThan(total / 20);
    const times = socket.messages
      .filter(ofType('batch.progress', batchId))
      .map((message) => Date.parse(message.at));
    // One per interval on average (a late tick may come closer to the next one).
    expect(times.length).toBeLessThanOrEqual((times.at(-1)! - times[0]!) / PROGRESS_INTERVAL_MS + 2);
    // Counts only grow while it runs, and a running batch tells its rate.
    const settled = progress.map((payload) => payload.processed_count + payload.failed_count);
    expect(settled).toEqual([...settled].sort((a, b) => a - b));
    const running = progress.filter((payload: BatchProgressPayload) => payload.status === 'running');
    expect(running.some((payload) => payload.items_per_second > 0)).toBe(true);
    expect(statusesOf(socket, batchId).at(-1)).toBe('completed');
    const completed = socket.messages.filter(ofType('batch.status', batchId)).at(-1)!
      .payload as BatchStatusPayload;
    expect(completed.previous_status).toBe('running');
    expect(increasing(socket.notifications().map((message) => message.seq))).toBe(true);
    socket.close();
  });

  it("never gives a user another user's notifications, and refuses their topics", async () => {
    const alice = await platform.as('ws-iso-alice');
    const bob = await platform.as('ws-iso-bob');
    const alices = await subscribed(alice, ['user']);
    const bobs = await subscribed(bob, ['user']);
    const aliceBatch = await createBatch(alice, itemsOf(20, 'a'));
    const bobBatch = await createBatch(bob, itemsOf(20, 'b'));
    await alices.next(ended(aliceBatch));
    await bobs.next(ended(bobBatch));

    const topics = (socket: TestSocket) => new Set(socket.notifications().map((message) => message.topic));
    expect([...topics(alices)]).toEqual([`batch:${aliceBatch}`]);
    expect([...topics(bobs)]).toEqual([`batch:${bobBatch}`]);

    bobs.send({ type: 'subscribe', topics: [`batch:${aliceBatch}`, `backup:backup-1-abcdef`] });
    const refused = await bobs.next(isControl('refused'));
    expect(refused.code).toBe('not_found');
    expect(refused.topics).toEqual([`batch:${aliceBatch}`, 'backup:backup-1-abcdef']);
    alices.close();
    bobs.close();
  });
});

describe('/ws: resume', () => {
  /** Reads until a few progress messages came, drops the connection, resumes on `nextUrl`, reads to the end. */
  async function resumeMidBatch(user: string, nextUrl: () => Promise<string>) {
    const carol = await platform.as(user);
    const first = await subscribed(carol, ['user']);
    const total = 2_000;
    // 5 ms a call: the batch takes a few seconds, so the disconnect comes before its end.
    const items = itemsOf(total, 'resume').map((item) => ({ ...item, parameters: { latencyMs: 5 } }));
    const batchId = await createBatch(carol, items);
    await first.until((messages) => messages.filter(ofType('batch.progress', batchId)).length >= 2);
    first.terminate();
    await first.closed;
    expect(first.notifications().some(finalProgress(batchId, total))).toBe(false);
    const before = first.notifications().map((message) => message.seq);

    const second = await openSocket(await nextUrl(), carol.token);
    await second.next(isControl('welcome'));
    second.send({ type: 'resume', lastSeq: before.at(-1)!, topics: ['user'] });
    await second.next(isControl('resumed'));
    await second.next(finalProgress(batchId, total));
    await second.next(ended(batchId));
    second.close();

    const received = [...before, ...second.notifications().map((message) => message.seq)];
    expect(increasing(received)).toBe(true);
    expect(received).toEqual(await storedSeqs(user));
    const last = progressOf(second, batchId).at(-1)!;
    expect(last.processed_count).toBe(total);
  }

  it('after a forced disconnect mid-batch, replays every message exactly once and in order', async () => {
    await resumeMidBatch('ws-resume', async () => platform.baseUrl);
  });

  it('resumes on another gateway replica just the same', async () => {
    const other = await platform.gateway();
    await resumeMidBatch('ws-resume-replica', async () => other.baseUrl);
    await other.process.kill();
  });

  it('answers resync when what was asked for is no longer retained', async () => {
    const dave = await platform.as('ws-resync');
    const socket = await subscribed(dave, ['user']);
    const batchId = await createBatch(dave, itemsOf(5, 'resync'));
    await socket.next(ended(batchId));
    const { nc, names } = platform.nats;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(names.notificationsStream, { keep: 1 });

    const later = await openSocket(platform.baseUrl, dave.token);
    await later.next(isControl('welcome'));
    later.send({ type: 'resume', lastSeq: 1, topics: ['user'] });
    expect((await later.next(isControl('resync'))).reason).toMatch(/no longer retained/);
    later.send({ type: 'resume', lastSeq: 10_000_000, topics: ['user'] });
    expect((await later.next(isControl('resync'), later.messages.length)).reason).toMatch(
      /newer than the stream/,
    );
    later.close();
    socket.close();
  });
});

describe('/ws: errors', () => {
  /** Items that fail, spread over a few seconds (so over several progress intervals and de-dup windows). */
  const failing = (count: number, prefix: string) =>
    itemsOf(count, prefix).map((item) => ({
      ...item,
      parameters: { simulateError: 'permanent', latencyMs: 100 },
    }));

  it('tells identical errors once per window, then with their repeat count; the details route has them all', async () => {
    const erin = await platform.as('ws-dedup');
    const socket = await subscribed(erin, ['user']);
    const total = 100;
    const batchId = await createBatch(erin, failing(total, 'bad'));
    await socket.next(ended(batchId));
    const first = await socket.next<Of<'error'>>(ofType('error', batchId));
    const { errorId } = first.payload;
    expect(first.payload).toMatchObject({
      code: 'simulated_permanent',
      category: 'permanent',
      repeatCount: 0,
      batchId,
      dedupKey: `simulated_permanent:batch:${batchId}`,
    });
    const details = () => erin.call<ErrorDetailsView>('GET', `/api/v1/errors/${errorId}`);
    // Every failure is counted once the last window closed; each closing window sends one message.
    let seen = socket.messages.length;
    while ((await details()).body.occurrences < total) {
      await socket.next(ofType('error', batchId), seen);
      seen = socket.messages.length;
    }
    const errors = socket.messages.filter(ofType('error', batchId)).map((message) => message.payload);
    expect(new Set(errors.map((error: ErrorNotificationPayload) => error.errorId))).toEqual(
      new Set([errorId]),
    );
    expect(errors.length).toBeGreaterThan(1);
    expect(errors.length).toBeLessThan(total / 10);
    expect(errors.slice(1).every((error) => error.repeatCount > 0)).toBe(true);

    const { body, status } = await details();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      errorId,
      code: 'simulated_permanent',
      category: 'permanent',
      isRecoverable: false,
      occurrences: total,
      context: { batchId },
    });
    expect(body.context.itemId).toMatch(/^bad-\d+$/);
    expect(Date.parse(body.occurredAt)).toBeLessThanOrEqual(Date.now());
    const other = await platform.as('ws-dedup-other');
    expect((await other.call('GET', `/api/v1/errors/${errorId}`)).status).toBe(404);
    socket.close();
  });

  it('never lets a planted secret reach the socket or the error details', async () => {
    const frank = await platform.as('ws-secrets');
    const socket = await subscribed(frank, ['user']);
    const secret = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4As3Df2';
    const batchId = await createBatch(frank, [
      { id: secret, topic: 'a topic', parameters: { simulateError: 'permanent' } },
    ]);
    await socket.next(ended(batchId));
    const error = await socket.next<Of<'error'>>(ofType('error', batchId));
    const details = await frank.call<ErrorDetailsView>('GET', `/api/v1/errors/${error.payload.errorId}`);
    expect(details.status).toBe(200);
    expect(details.body.technicalMessage).toMatch(/simulated permanent failure of/);
    expect(socket.frames.join('\n')).not.toContain(secret);
    expect(JSON.stringify(details.body)).not.toContain(secret);
    socket.close();
  });
});
