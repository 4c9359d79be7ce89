import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { BackupView, RestoreProgress, RestoreResult, RestoreStarted } from '@batch/contracts';
import { type Caller, type Platform, schemaClient, seedConversations, startPlatform } from '@batch/testing';
import { watchBackupFacts, type BackupFactWatch } from './backup-fixtures.js';

let platform: Platform;
let db: pg.Client;
let alice: Caller;
let bob: Caller;
let facts: BackupFactWatch;

beforeAll(async () => {
  platform = await startPlatform({}, {}, { backups: true });
  db = await schemaClient(platform);
  alice = await platform.as('alice');
  bob = await platform.as('bob');
  facts = watchBackupFacts(platform);
}, 120_000);
afterAll(async () => {
  facts?.close();
  await db?.end();
  await platform?.close();
});

/** Every conversation and turn of the user, in a stable order: what a restore must give back. */
async function rowsOf(userId: string): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT c.id, c.batch_id, c.item_id, c.topic, c.persona, c.content, c.created_at,
            t.id AS turn_id, t.role, t.content AS turn_content, t.sequence
       FROM conversations c LEFT JOIN conversation_turns t ON t.conversation_id = c.id
      WHERE c.user_id = $1 ORDER BY c.id, t.sequence`,
    [userId],
  );
  return rows;
}

const forget = (userId: string) => db.query(`DELETE FROM conversations WHERE user_id = $1`, [userId]);

describe("seed 003's restore, by its own client code", () => {
  it('exports, restores in the background, and its polling loop stops on completed with every row back', async () => {
    await seedConversations(db, { userId: 'alice', prefix: 'seed003', count: 250 });
    const before = await rowsOf('alice');
    // The page's fetch, with the token a signed-in page would add.
    const fetch = (url: string, init: RequestInit = {}) =>
      globalThis.fetch(`${platform.baseUrl}${url}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${alice.token}` },
      });

    // "Test Large Restore", as written.
    const backup = await fetch('/api/backup?includeDemoData=true');
    const backupData = await backup.json();
    await forget('alice');

    const restore = await fetch('/api/backup', {
      method: 'POST',
      body: JSON.stringify({ backupData }),
    });
    const { progressId } = (await restore.json()) as RestoreStarted;
    expect(progressId).toMatch(/^restore-/);

    const seen: RestoreProgress[] = [];
    await new Promise<void>((resolve, reject) => {
      let lastProcessed = 0;
      const interval = setInterval(async () => {
        try {
          const progress = await fetch(`/api/backup/progress?id=${progressId}`);
          const { progress: data } = (await progress.json()) as { progress: RestoreProgress };
          seen.push(data);
          const currentProcessed = Object.values(data.counts).reduce((sum, c) => sum + c.processed, 0);
          expect(currentProcessed).toBeGreaterThanOrEqual(lastProcessed);
          lastProcessed = currentProcessed;
          if (data.model === 'completed') {
            clearInterval(interval);
            resolve();
          }
        } catch (error) {
          clearInterval(interval);
          reject(error);
        }
      }, 2000);
    });
    const done = seen.at(-1)!;
    expect(done).toMatchObject({
      model: 'completed',
      processed: 1500,
      total: 1500,
      counts: {
        conversations: { processed: 250, total: 250 },
        conversation_turns: { processed: 1250, total: 1250 },
      },
      errors: [],
    });
    expect(await rowsOf('alice')).toEqual(before);
  });
});

describe('restores', () => {
  let backup: BackupView;
  let before: unknown[];

  beforeAll(async () => {
    await seedConversations(db, { userId: 'bob', prefix: 'native', count: 40 });
    before = await rowsOf('bob');
    backup = (await bob.call<BackupView>('POST', '/api/v1/backups', { batchId: 'native-batch' })).body;
  });

  it('restores a stored backup in the background (202), its progress at /api/v1/restores/:id and in facts', async () => {
    await forget('bob');
    const started = await bob.call<RestoreStarted>('POST', `/api/v1/backups/${backup.backup_id}/restore`);
    expect(started.status).toBe(202);
    const { progressId } = started.body;
    const first = await bob.call<{ progress: RestoreProgress }>('GET', `/api/v1/restores/${progressId}`);
    expect(first.status).toBe(200);
    expect(first.body.progress.total).toBe(240);
    await facts.until(
      (fact) => fact.kind === 'restore' && fact.id === progressId && fact.status === 'completed',
    );
    const ended = await bob.call<{ progress: RestoreProgress }>('GET', `/api/v1/restores/${progressId}`);
    expect(ended.body.progress).toMatchObject({ model: 'completed', processed: 240, errors: [] });
    expect(await rowsOf('bob')).toEqual(before);
    expect((await alice.call('GET', `/api/v1/restores/${progressId}`)).status).toBe(404);
    expect((await alice.call('GET', `/api/backup/progress?id=${progressId}`)).status).toBe(404);
    expect((await alice.call('POST', `/api/v1/backups/${backup.backup_id}/restore`)).status).toBe(404);
  });

  it('is idempotent: restoring twice over the rows gives the same rows (?wait=true answers the result)', async () => {
    for (let round = 0; round < 2; round++) {
      const result = await bob.call<RestoreResult>(
        'POST',
        `/api/v1/backups/${backup.backup_id}/restore?wait=true`,
      );
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({
        success: true,
        processed: 240,
        errors: [],
        results: {
          conversations: { processed: 40, total: 40 },
          conversation_turns: { processed: 200, total: 200 },
        },
      });
      expect(await rowsOf('bob')).toEqual(before);
    }
  });

  it('reports per-record errors while the rest restores', async () => {
    await seedConversations(db, { userId: 'alice', prefix: 'taken', count: 1 });
    const backupData = {
      version: '1.0',
      createdAt: new Date().toISOString(),
      backupReason: 'manual_backup',
      conversations: [
        {
          id: 'mixed-1',
          content: 'fine',
          persona: 'Expert',
          conversation_turns: [
            { id: 'mixed-1-t1', content: 'hello', role: 'user', sequence: 1 },
            { id: 'mixed-1-t2', content: 'bad sequence', role: 'assistant', sequence: 'two' },
          ],
        },
        { id: 'taken-1', content: 'not yours', persona: 'Thief', conversation_turns: [] },
        { content: 'no id', persona: 'Nobody', conversation_turns: [] },
        { id: 'mixed-2', content: 'also fine', persona: 'Expert', conversation_turns: [] },
      ],
    };
    const result = await bob.call<RestoreResult>('POST', '/api/backup?wait=true', { backupData });
    expect(result.status).toBe(200);
    expect(result.body.success).toBe(false);
    expect(result.body.errors).toHaveLength(3);
    expect(result.body.errors.some((error) => error.startsWith('conversation_turns:mixed-1-t2 - '))).toBe(
      true,
    );
    expect(result.body.errors.some((error) => error.startsWith('conversations:taken-1 - '))).toBe(true);
    const { rows } = await db.query(`SELECT id, user_id FROM conversations WHERE id = ANY($1) ORDER BY id`, [
      ['mixed-1', 'mixed-2', 'taken-1'],
    ]);
    expect(rows).toEqual([
      { id: 'mixed-1', user_id: 'bob' },
      { id: 'mixed-2', user_id: 'bob' },
      { id: 'taken-1', user_id: 'alice' },
    ]);
  });

  it('refuses a malformed or wrong-version file with a 422 naming the problem, and a body without a length with a 411', async () => {
    const wrongVersion = await bob.call<{ error: { message: string } }>('POST', '/api/backup', {
      backupData: { version: '2.0', conversations: [] },
    });
    expect(wrongVersion.status).toBe(422);
    expect(wrongVersion.body.error.message).toContain('2.0');
    const broken = await bob.call<{ error: { message: string } }>(
      'POST',
      '/api/backup',
      '{"backupData": {"conversations": [',
    );
    expect(broken.status).toBe(422);
    const chunked = await globalThis.fetch(`${platform.baseUrl}/api/backup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
      body: new Blob(['{}']).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
  });
});

describe('a restore through a crash', () => {
  it('is taken on again with the same progress id after a SIGKILL, and ends with every row once', async () => {
    const carol = await platform.as('carol');
    await seedConversations(db, { userId: 'carol', prefix: 'killed', count: 20_000 });
    const before = await rowsOf('carol');
    const backup = (await carol.call<BackupView>('POST', '/api/v1/backups', { batchId: 'killed-batch' }))
      .body;
    await forget('carol');

    const started = await carol.call<RestoreStarted>('POST', `/api/v1/backups/${backup.backup_id}/restore`);
    const { progressId } = started.body;
    await facts.until((fact) => fact.kind === 'restore' && fact.id === progressId && fact.processed > 0);
    await platform.backup!.kill();
    await platform.restartBackup();
    await platform.backup!.waitForLine('resuming restores');

    await facts.until(
      (fact) => fact.kind === 'restore' && fact.id === progressId && fact.status === 'completed',
      120_000,
    );
    const ended = await carol.call<{ progress: RestoreProgress }>('GET', `/api/v1/restores/${progressId}`);
    expect(ended.body.progress).toMatchObject({ model: 'completed', processed: 120_000, errors: [] });
    expect(await rowsOf('carol')).toEqual(before);
  }, 180_000);
});
