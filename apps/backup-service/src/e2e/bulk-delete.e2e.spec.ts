import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { BackupView, Notification, OperationStarted, OperationView } from '@batch/contracts';
import { createEventStore } from '@batch/event-store';
import {
  type Caller,
  isControl,
  isNotification,
  openSocket,
  type Platform,
  schemaClient,
  seedConversations,
  startPlatform,
} from '@batch/testing';
import type { OperationEvent } from '../saga/bulk-delete.domain.js';
import { operationAggregate } from '../saga/operation.aggregate.js';
import { backupOnPrivateS3, watchBackupFacts, type BackupFactWatch } from './backup-fixtures.js';

let platform: Platform;
let db: pg.Client;
let alice: Caller;
let facts: BackupFactWatch;

beforeAll(async () => {
  platform = await startPlatform({}, {}, { backups: true });
  db = await schemaClient(platform);
  alice = await platform.as('alice');
  facts = watchBackupFacts(platform);
}, 120_000);
afterAll(async () => {
  facts?.close();
  await db?.end();
  await platform?.close();
});

const existing = async (ids: string[]) =>
  Number((await db.query(`SELECT count(*) FROM conversations WHERE id = ANY($1)`, [ids])).rows[0].count);

const reaches = (operationId: string, step: string) =>
  facts.until((fact) => fact.kind === 'operation' && fact.id === operationId && fact.status === step);

async function bulkDelete(body: object): Promise<string> {
  const started = await alice.call<OperationStarted>('POST', '/api/v1/conversations/bulk-delete', body);
  expect(started.status).toBe(202);
  return started.body.operationId;
}

const operation = async (operationId: string) =>
  (await alice.call<OperationView>('GET', `/api/v1/operations/${operationId}`)).body;

/** The types of the operation's events, in the order its log holds them. */
async function eventTypes(operationId: string): Promise<string[]> {
  const events = await createEventStore<OperationEvent, 'lifecycle'>(platform.nats.nc, {
    aggregate: operationAggregate(platform.nats.names),
  });
  const types: string[] = [];
  for await (const commit of events.read(operationId))
    types.push(...commit.events.map((event) => event.type));
  return types;
}

describe('a bulk delete with its pre-delete backup', () => {
  it('backs up, waits for the confirmation with the backup ready, then deletes exactly those conversations', async () => {
    const ids = await seedConversations(db, { userId: 'alice', prefix: 'confirmed', count: 10 });
    const operationId = await bulkDelete({
      conversationIds: [...ids, 'no-such-conversation'],
      reason: 'bulk_delete',
    });

    await reaches(operationId, 'awaiting_confirmation');
    const waiting = await operation(operationId);
    expect(waiting).toMatchObject({
      step: 'awaiting_confirmation',
      backup: true,
      conversation_count: 11,
      progress: { processed: 10, total: 11 },
      deleted_count: null,
    });
    expect(waiting.backup_id).toMatch(/^backup-/);
    expect(new Date(waiting.confirm_by!).getTime()).toBeGreaterThan(Date.now());
    expect(await existing(ids)).toBe(10);
    const download = await alice.call<{ backupReason: string; conversations: { id: string }[] }>(
      'GET',
      waiting.backup_download!,
    );
    expect(download.body.backupReason).toBe('bulk_delete');
    expect(download.body.conversations.map((conversation) => conversation.id).sort()).toEqual(
      [...ids].sort(),
    );

    const confirmed = await alice.call<OperationView>('POST', `/api/v1/operations/${operationId}/confirm`);
    expect(confirmed.status).toBe(200);
    await reaches(operationId, 'done');
    expect(await operation(operationId)).toMatchObject({ step: 'done', deleted_count: 10 });
    expect(await existing(ids)).toBe(0);
    const backup = await alice.call<BackupView>('GET', `/api/v1/backups/${waiting.backup_id}`);
    expect(backup.body).toMatchObject({ status: 'ready', conversation_count: 10 });
    expect(await eventTypes(operationId)).toEqual([
      'DeleteRequested',
      'BackupStarted',
      'BackupSucceeded',
      'DeleteConfirmed',
      'ConversationsDeleted',
    ]);
  });

  it('deletes nothing when cancelled at the confirmation step, and keeps the backup', async () => {
    const ids = await seedConversations(db, { userId: 'alice', prefix: 'cancelled', count: 5 });
    const operationId = await bulkDelete({ conversationIds: ids });
    await reaches(operationId, 'awaiting_confirmation');
    const cancelled = await alice.call<OperationView>('POST', `/api/v1/operations/${operationId}/cancel`);
    expect(cancelled.body).toMatchObject({ step: 'cancelled', deleted_count: null });
    expect(await existing(ids)).toBe(5);
    const backup = await alice.call<BackupView>('GET', `/api/v1/backups/${cancelled.body.backup_id}`);
    expect(backup.body.status).toBe('ready');
    const late = await alice.call<{ error: { code: string } }>(
      'POST',
      `/api/v1/operations/${operationId}/confirm`,
    );
    expect(late.status).toBe(409);
    expect(await existing(ids)).toBe(5);
  });

  it('with confirm "now", deletes as soon as the backup is ready', async () => {
    const ids = await seedConversations(db, { userId: 'alice', prefix: 'now', count: 4 });
    const operationId = await bulkDelete({ conversationIds: ids, confirm: 'now' });
    await reaches(operationId, 'done');
    expect(await operation(operationId)).toMatchObject({ step: 'done', deleted_count: 4 });
    expect(await existing(ids)).toBe(0);
  });

  it("is another user's 404, and a malformed request's 422", async () => {
    const ids = await seedConversations(db, { userId: 'alice', prefix: 'private', count: 2 });
    const operationId = await bulkDelete({ conversationIds: ids });
    const bob = await platform.as('bob');
    expect((await bob.call('GET', `/api/v1/operations/${operationId}`)).status).toBe(404);
    expect((await bob.call('POST', `/api/v1/operations/${operationId}/confirm`)).status).toBe(404);
    expect((await bob.call('POST', `/api/v1/operations/${operationId}/cancel`)).status).toBe(404);
    expect((await alice.call('GET', '/api/v1/operations/op-1-x')).status).toBe(404);
    const bad = await alice.call('POST', '/api/v1/conversations/bulk-delete', {
      conversationIds: ids,
      confirm: 'later',
    });
    expect(bad.status).toBe(422);
    await reaches(operationId, 'awaiting_confirmation');
    await alice.call('POST', `/api/v1/operations/${operationId}/cancel`);
    expect(await existing(ids)).toBe(2);
  });
});

describe('a bulk delete through crashes: the backup service SIGKILLed at each step', () => {
  async function restart(): Promise<void> {
    await platform.backup!.kill();
    await platform.restartBackup();
  }

  it('finishes exactly once after a kill while backing up, one while awaiting confirmation and one while deleting', async () => {
    const ids = await seedConversations(db, {
      userId: 'alice',
      prefix: 'crash',
      count: 8_000,
      turnBytes: 1_000,
    });
    const operationId = await bulkDelete({ conversationIds: ids });

    await facts.until(
      (fact) =>
        fact.kind === 'operation' &&
        fact.id === operationId &&
        fact.status === 'backing_up' &&
        fact.processed > 0,
    );
    await restart();
    await platform.backup!.waitForLine('resuming bulk deletes');
    await reaches(operationId, 'awaiting_confirmation');
    expect(await existing(ids)).toBe(8_000);

    await restart();
    await platform.backup!.waitForLine('resuming bulk deletes');
    expect(await operation(operationId)).toMatchObject({ step: 'awaiting_confirmation' });
    await alice.call('POST', `/api/v1/operations/${operationId}/confirm`);
    await reaches(operationId, 'deleting');
    await restart();

    await reaches(operationId, 'done');
    const done = await operation(operationId);
    expect(done).toMatchObject({ step: 'done', deleted_count: 8_000 });
    expect(await existing(ids)).toBe(0);
    const types = await eventTypes(operationId);
    expect(types.filter((type) => type === 'ConversationsDeleted')).toHaveLength(1);
    expect(types.filter((type) => type === 'BackupSucceeded')).toHaveLength(1);
    const backup = await alice.call<BackupView>('GET', `/api/v1/backups/${done.backup_id}`);
    expect(backup.body).toMatchObject({ status: 'ready', conversation_count: 8_000 });
  });
});

describe('a bulk delete that cannot complete', () => {
  it('ends expired, nothing deleted, when nobody confirms in time', async () => {
    await platform.backup!.stop();
    await platform.restartBackup({ DELETE_CONFIRM_TIMEOUT_MS: '500' });
    const ids = await seedConversations(db, { userId: 'alice', prefix: 'unconfirmed', count: 3 });
    const operationId = await bulkDelete({ conversationIds: ids });
    await reaches(operationId, 'expired');
    expect(await operation(operationId)).toMatchObject({ step: 'expired', deleted_count: null });
    expect(await existing(ids)).toBe(3);
  });

  it('ends failed with "Backup creation failed. Delete operation cancelled." when S3 is down, nothing deleted, and says so on /ws', async () => {
    const s3 = await backupOnPrivateS3(platform, 'unreachable-later');
    await s3.stop();
    const socket = await openSocket(platform.baseUrl, alice.token);
    socket.send({ type: 'subscribe', topics: ['user'] });
    await socket.next(isControl('subscribed'));
    const ids = await seedConversations(db, { userId: 'alice', prefix: 's3down', count: 6 });
    const operationId = await bulkDelete({ conversationIds: ids });
    await reaches(operationId, 'failed');
    const failed = await operation(operationId);
    expect(failed).toMatchObject({
      step: 'failed',
      message: 'Backup creation failed. Delete operation cancelled.',
      deleted_count: null,
      backup_id: null,
    });
    expect(failed.error).toContain('backup creation failed');
    expect(await existing(ids)).toBe(6);

    const told = await socket.next<Notification>(
      (message) =>
        isNotification(message) &&
        message.type === 'operation.status' &&
        message.topic === `operation:${operationId}` &&
        message.payload.status === 'failed',
    );
    expect(told.payload).toMatchObject({ message: 'Backup creation failed. Delete operation cancelled.' });
    const error = await socket.next<Notification>(
      (message) =>
        isNotification(message) && message.type === 'error' && message.topic === `operation:${operationId}`,
    );
    expect(error.payload).toMatchObject({
      code: 'ERR_OPERATION_FAILED',
      category: 'permanent',
      userMessage: 'Backup creation failed. Delete operation cancelled.',
      operationId,
    });
    socket.close();
  });
});
