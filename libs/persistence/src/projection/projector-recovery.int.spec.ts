import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  appendInCommits,
  completedOutcome,
  createBatch,
  domainItems,
  domainState,
  eventsOf,
  failedOutcome,
  itemsOf,
  projectedItems,
  projectionRows,
  spawnEntryPoint,
  storedCheckpoint,
  testPersistence,
  type TestPersistence,
} from '../persistence.spec-helpers.js';
import {
  CheckpointBehindError,
  createBatchProjector,
  type AppliedBatch,
  type BatchProjectorOptions,
} from './batch.projector.js';

let env: TestPersistence;

beforeAll(async () => {
  env = await testPersistence();
});
afterAll(() => env.close());

/** A consumer as a projector makes it, left in a given state for the next projector to find. */
async function leftBehindConsumer(name: string, deliverFrom: number) {
  const jsm = await jetstreamManager(env.nats.nc);
  await jsm.consumers.add(env.nats.names.eventsStream, {
    durable_name: name,
    filter_subject: env.nats.names.allEvents,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 1_000,
    ...(deliverFrom <= 1
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: deliverFrom }),
  });
  return jsm;
}
const projector = (options: Partial<BatchProjectorOptions> = {}) =>
  createBatchProjector({ ds: env.ds, nc: env.nats.nc, names: env.nats.names, ...options });

/** Runs a projector until it has applied everything appended so far. */
async function projectAll(): Promise<void> {
  const running = projector();
  await running.start();
  await running.caughtUp(await env.lastSeq());
  await running.stop();
}

/** A started batch and a flood of outcomes for it, duplicates included, in many small commits. */
async function batchWithOutcomes(batchId: string, items: number, perCommit: number): Promise<void> {
  await env.aggregates.handle(batchId, createBatch(batchId, itemsOf(items)));
  const outcomes = itemsOf(items).flatMap(({ id }, index) =>
    index % 3 === 0
      ? [failedOutcome(batchId, id), completedOutcome(batchId, id)]
      : [completedOutcome(batchId, id), completedOutcome(batchId, id)],
  );
  await appendInCommits(env.events, batchId, outcomes, perCommit);
}

async function expectProjectionOfDomain(batchId: string): Promise<void> {
  const domain = await domainState(env.events, batchId);
  expect(await projectedItems(env.ds, batchId)).toEqual(domainItems(domain));
  const [batch] = await env.ds.query(
    `SELECT processed_count, failed_count, pending_count FROM batches WHERE batch_id = $1`,
    [batchId],
  );
  expect(batch).toEqual({
    processed_count: domain.items.completed,
    failed_count: domain.items.failed,
    pending_count: domain.items.pending,
  });
}

function firstAppliedLine(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const applied = /applied (\d+)/.exec(output);
      if (applied) resolve(Number(applied[1]));
    });
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`projector process exited (${code}) first: ${errors}`)));
  });
}

describe('the batch projector across stops and crashes', () => {
  it('carries on where a stopped projector left off, applying each event once', async () => {
    await batchWithOutcomes('stopped', 300, 4);
    const lastSeq = await env.lastSeq();
    let stopped: Promise<void> | undefined;
    let firstApplied!: () => void;
    const applied = new Promise<void>((resolve) => (firstApplied = resolve));
    const first = projector({
      batchSize: 3,
      onApplied: () => {
        stopped ??= first.stop();
        firstApplied();
      },
    });
    await first.start();
    await applied;
    await stopped;
    const atStop = await storedCheckpoint(env.ds);
    expect(atStop).toBeGreaterThan(0);
    expect(atStop).toBeLessThan(lastSeq);

    const second = projector({ batchSize: 3 });
    await second.start();
    await second.caughtUp(lastSeq);
    await second.stop();
    await expectProjectionOfDomain('stopped');
  });

  it('loses nothing and repeats nothing when its process is killed mid-stream', async () => {
    await batchWithOutcomes('killed', 600, 4);
    const lastSeq = await env.lastSeq();
    const child = spawnEntryPoint(new URL('./projector.spec-process.ts', import.meta.url), {
      DATABASE_SCHEMA: env.db.schema,
      NATS_NAMESPACE: env.nats.namespace,
      BATCH_SIZE: '2',
    });
    const exited = once(child, 'exit');
    await firstAppliedLine(child);
    child.kill('SIGKILL');
    await exited;
    const atKill = await storedCheckpoint(env.ds);
    expect(atKill).toBeLessThan(lastSeq);

    await projectAll();
    expect(await storedCheckpoint(env.ds)).toBe(lastSeq);
    await expectProjectionOfDomain('killed');
  });

  it('retries a batch that failed from its checkpoint, once the database takes writes again', async () => {
    await projectAll();
    const errors: unknown[] = [];
    let firstError!: () => void;
    const failed = new Promise<void>((resolve) => (firstError = resolve));
    const retrying = projector({
      retryDelayMs: 20,
      onError: (error) => {
        errors.push(error);
        firstError();
      },
    });
    await retrying.start();
    await env.ds.query(`ALTER TABLE batch_items RENAME TO batch_items_away`);
    await batchWithOutcomes('retried', 50, 5);
    await failed;
    expect(String(errors[0])).toContain('batch_items');
    await env.ds.query(`ALTER TABLE batch_items_away RENAME TO batch_items`);
    await retrying.caughtUp(await env.lastSeq());
    await retrying.stop();
    await expectProjectionOfDomain('retried');
  });

  it('acks messages delivered again at or below its checkpoint without applying them', async () => {
    await batchWithOutcomes('redelivered', 200, 10);
    await projectAll();
    const before = await projectionRows(env.ds);
    // A consumer that lost every ack delivers the whole stream again.
    const jsm = await leftBehindConsumer('forgetful', 1);
    const { state } = await jsm.streams.info(env.nats.names.eventsStream);

    // Acks travel as plain messages: count those the projector sends for this consumer.
    const acks = new Set<string>();
    let ackedAll!: () => void;
    const allAcked = new Promise<void>((resolve) => (ackedAll = resolve));
    const ackWatch = env.nats.nc.subscribe(`$JS.ACK.${env.nats.names.eventsStream}.forgetful.>`, {
      callback: (_error, ack) => {
        acks.add(ack.subject);
        if (acks.size === state.messages) ackedAll();
      },
    });
    const reports: AppliedBatch[] = [];
    let redeliveredAll!: () => void;
    const allSeen = new Promise<void>((resolve) => (redeliveredAll = resolve));
    const again = projector({
      consumerName: 'forgetful',
      onApplied: (applied) => {
        reports.push(applied);
        if (applied.seq >= state.last_seq) redeliveredAll();
      },
    });
    await again.start();
    await Promise.all([allSeen, allAcked]);
    ackWatch.unsubscribe();
    expect(reports.reduce((sum, applied) => sum + applied.skipped, 0)).toBe(state.messages);
    expect(reports.reduce((sum, applied) => sum + applied.events, 0)).toBe(0);
    expect(await projectionRows(env.ds)).toEqual(before);

    // And it goes on with what comes next.
    await appendInCommits(
      env.events,
      'redelivered',
      itemsOf(200).map(({ id }) => completedOutcome('redelivered', id)),
      50,
    );
    await again.caughtUp(await env.lastSeq());
    await again.stop();
    await expectProjectionOfDomain('redelivered');
  });

  it('starts over from its checkpoint when its consumer delivered messages that were never applied', async () => {
    await projectAll();
    const checkpoint = await storedCheckpoint(env.ds);
    await batchWithOutcomes('unapplied', 100, 10);
    // The consumer of a projector that fetched these and died before its transaction committed:
    // they wait for an ack that never comes, to be redelivered after the ack wait, behind newer ones.
    await leftBehindConsumer('crashed', checkpoint + 1);
    const consumer = await jetstream(env.nats.nc).consumers.get(env.nats.names.eventsStream, 'crashed');
    const fetched = [];
    for await (const message of await consumer.fetch({ max_messages: 3, expires: 1_000 }))
      fetched.push(message.seq);
    expect(fetched).toHaveLength(3);

    const restarted = projector({ consumerName: 'crashed' });
    await restarted.start();
    await restarted.caughtUp(await env.lastSeq());
    await restarted.stop();
    await expectProjectionOfDomain('unapplied');
  });

  it('replays from the start when its tables were emptied under it, leaving no gap', async () => {
    await batchWithOutcomes('before-reset', 60, 6);
    const errors: unknown[] = [];
    const live = projector({ retryDelayMs: 20, onError: (error) => errors.push(error) });
    await live.start();
    await live.caughtUp(await env.lastSeq());
    // What a rebuild does first, while this projector keeps running.
    await env.ds.query(`TRUNCATE batch_items, batches; DELETE FROM projection_checkpoints`);
    await batchWithOutcomes('after-reset', 60, 6);
    await live.caughtUp(await env.lastSeq());
    await live.stop();
    expect(errors[0]).toBeInstanceOf(CheckpointBehindError);
    await expectProjectionOfDomain('before-reset');
    await expectProjectionOfDomain('after-reset');
  });

  it('applies each event once with two projectors running side by side', async () => {
    await projectAll();
    const appliedBy = [0, 0];
    const replicas = [0, 1].map((replica) =>
      projector({ batchSize: 4, onApplied: ({ events }) => (appliedBy[replica]! += events) }),
    );
    await Promise.all(replicas.map((replica) => replica.start()));
    await batchWithOutcomes('side-by-side', 300, 3);
    const eventCount = (await eventsOf(env.events, 'side-by-side')).length;
    const lastSeq = await env.lastSeq();
    await Promise.all(replicas.map((replica) => replica.caughtUp(lastSeq)));
    await Promise.all(replicas.map((replica) => replica.stop()));
    expect(appliedBy[0]! + appliedBy[1]!).toBe(eventCount);
    await expectProjectionOfDomain('side-by-side');
  });
});
