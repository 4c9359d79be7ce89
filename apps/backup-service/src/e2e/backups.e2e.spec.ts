import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { BackupList, BackupView, DownloadLink, SeedBackupCreated } from '@batch/contracts';
import { type Caller, type Platform, schemaClient, seedConversations, startPlatform } from '@batch/testing';
import { sha256, sourceConversations, watchBackupFacts } from './backup-fixtures.js';

let platform: Platform;
let db: pg.Client;
let alice: Caller;
let bob: Caller;
let aliceIds: string[];
let bobIds: string[];

beforeAll(async () => {
  platform = await startPlatform({}, {}, { backups: true, backupEnv: { BACKUP_SWEEP_INTERVAL_MS: '200' } });
  db = await schemaClient(platform);
  alice = await platform.as('alice');
  bob = await platform.as('bob');
  aliceIds = await seedConversations(db, { userId: 'alice', prefix: 'a', count: 30 });
  bobIds = await seedConversations(db, { userId: 'bob', prefix: 'b', count: 3 });
}, 120_000);
afterAll(async () => {
  await db?.end();
  await platform?.close();
});

/** The seeds' client code calls relative URLs from a page; here the page's origin is the gateway. */
const pageFetch = (path: string, init?: RequestInit) => fetch(`${platform.baseUrl}${path}`, init);

describe('seeds 000 and 001: a backup created and downloaded by their own client code', () => {
  it('creates the backup, answers once downloadable, and downloads the v1.0 JSON of the source rows', async () => {
    const session = { access_token: alice.token };
    const conversationIds = aliceIds.slice(0, 12);

    // Seed 001, "Create Backup via API", as written (fetch, headers, body, the ok check).
    const response = await pageFetch('/api/backup/create', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${session.access_token}`,
      },
      body: JSON.stringify({
        conversationIds,
        reason: 'manual_backup',
      }),
    });
    if (!response.ok) throw new Error('Backup creation failed');
    const created = (await response.json()) as SeedBackupCreated;
    const { backupId, expiresAt } = created;
    expect(backupId).toMatch(/^backup-\d{13}-[a-z0-9]+$/);
    expect(created).toMatchObject({
      filePath: `backups/alice/${backupId}.json.gz`,
      conversationCount: 12,
      skippedIds: [],
    });
    const retentionDays = (new Date(expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(retentionDays).toBeGreaterThan(6.9);
    expect(retentionDays).toBeLessThanOrEqual(7);

    // Seed 001, "Download Backup", with the token the page would carry.
    const download = await pageFetch(`/api/backup/download/${backupId}`, {
      headers: { Authorization: `Bearer ${session.access_token}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toContain('application/json');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${backupId}.json"`);
    const backup = (await download.json()) as {
      version: string;
      createdAt: string;
      backupReason: string;
      conversations: object[];
    };
    expect(backup.conversations.length).toBe(12);
    expect(backup).toMatchObject({ version: '1.0', backupReason: 'manual_backup' });
    const source = await sourceConversations(db, conversationIds);
    const downloaded = [...backup.conversations].sort((a, b) =>
      (a as { id: string }).id.localeCompare((b as { id: string }).id),
    );
    expect(downloaded).toEqual(source.map((conversation) => expect.objectContaining(conversation)));
  });

  it("skips ids that do not exist or are another user's, and writes the rest", async () => {
    const created = await alice.call<SeedBackupCreated>('POST', '/api/backup/create', {
      conversationIds: [aliceIds[0], bobIds[0], 'no-such-conversation', aliceIds[1]],
    });
    expect(created.status).toBe(200);
    expect(created.body.conversationCount).toBe(2);
    expect([...created.body.skippedIds].sort()).toEqual([bobIds[0], 'no-such-conversation'].sort());
    const view = await alice.call<BackupView>('GET', `/api/v1/backups/${created.body.backupId}`);
    expect(view.body).toMatchObject({ status: 'ready', reason: 'manual_backup', conversation_count: 2 });
    const json = await alice.call<{ conversations: { id: string }[] }>(
      'GET',
      `/api/backup/download/${created.body.backupId}`,
    );
    expect(json.body.conversations.map((conversation) => conversation.id).sort()).toEqual(
      [aliceIds[0], aliceIds[1]].sort(),
    );
  });

  it('refuses a body without ids, or with too many, naming the field', async () => {
    const empty = await alice.call<{ error: { code: string; message: string } }>(
      'POST',
      '/api/backup/create',
      {
        conversationIds: [],
      },
    );
    expect(empty.status).toBe(422);
    expect(empty.body.error.message).toContain('conversationIds');
    const tooMany = await alice.call('POST', '/api/backup/create', {
      conversationIds: Array.from({ length: 10_001 }, (_, index) => `c-${index}`),
    });
    expect(tooMany.status).toBe(422);
  });
});

describe('native backups', () => {
  let backup: BackupView;

  beforeAll(async () => {
    const created = await alice.call<BackupView>('POST', '/api/v1/backups', { batchId: 'a-batch' });
    expect(created.status).toBe(201);
    backup = created.body;
  });

  it("backs up a batch's conversations and lists the user's backups with size, count, expiry and status", async () => {
    expect(backup).toMatchObject({ status: 'ready', conversation_count: 30, skipped_ids: [] });
    expect(backup.size_bytes).toBeGreaterThan(0);
    const listed = await alice.call<BackupList>('GET', '/api/v1/backups?limit=2');
    expect(listed.status).toBe(200);
    expect(listed.body.backups[0]).toEqual(backup);
    expect(listed.body.next_cursor).not.toBeNull();
    const rest = await alice.call<BackupList>('GET', `/api/v1/backups?cursor=${listed.body.next_cursor}`);
    const ids = [...listed.body.backups, ...rest.body.backups].map((each) => each.backup_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await bob.call<BackupList>('GET', '/api/v1/backups')).body.backups).toEqual([]);
  });

  it('downloads the gzip as stored, its sha256 in a header, equal to the object in the bucket', async () => {
    const response = await fetch(`${platform.baseUrl}/api/v1/backups/${backup.backup_id}/download`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(response.headers.get('x-backup-sha256')).toBe(backup.sha256);
    expect(sha256(bytes)).toBe(backup.sha256);
    expect(bytes.length).toBe(backup.size_bytes);
    const { client, bucket } = platform.bucket!;
    const stored: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, backup.file_path)) stored.push(chunk as Buffer);
    expect(sha256(Buffer.concat(stored))).toBe(backup.sha256);
    const document = JSON.parse(gunzipSync(bytes).toString('utf8')) as { conversations: unknown[] };
    expect(document.conversations).toHaveLength(30);
  });

  it('opens a download link once, without a bearer header, and never for another backup', async () => {
    const link = await alice.call<DownloadLink>('POST', `/api/v1/backups/${backup.backup_id}/download-link`);
    expect(link.status).toBe(200);
    expect(new Date(link.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const other = await alice.call<SeedBackupCreated>('POST', '/api/backup/create', {
      conversationIds: [aliceIds[2]],
    });
    const ticket = new URL(link.body.url, platform.baseUrl).searchParams.get('ticket');
    const wrong = await fetch(
      `${platform.baseUrl}/api/backup/download/${other.body.backupId}?ticket=${ticket}`,
    );
    expect(wrong.status).toBe(401);

    const opened = await fetch(new URL(link.body.url, platform.baseUrl));
    expect(opened.status).toBe(200);
    expect(((await opened.json()) as { conversations: unknown[] }).conversations).toHaveLength(30);
    const again = await fetch(new URL(link.body.url, platform.baseUrl));
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/expired|used/);
    expect((await fetch(`${platform.baseUrl}/api/backup/download/${backup.backup_id}`)).status).toBe(401);
  });

  it("answers 404 for another user's backup on every route", async () => {
    const id = backup.backup_id;
    expect((await bob.call('GET', `/api/v1/backups/${id}`)).status).toBe(404);
    expect((await bob.call('GET', `/api/v1/backups/${id}/download`)).status).toBe(404);
    expect((await bob.call('GET', `/api/backup/download/${id}`)).status).toBe(404);
    expect((await bob.call('POST', `/api/v1/backups/${id}/download-link`)).status).toBe(404);
    expect((await bob.call('GET', '/api/v1/backups/not-a-backup-id')).status).toBe(404);
  });

  it('publishes progress and the end of a backup as facts', async () => {
    const watch = watchBackupFacts(platform);
    const created = await alice.call<BackupView>('POST', '/api/v1/backups', { conversationIds: aliceIds });
    await platform.nats.nc.flush();
    watch.close();
    const mine = watch.facts.filter((fact) => fact.id === created.body.backup_id);
    expect(mine[0]).toMatchObject({ kind: 'backup', userId: 'alice', status: 'running', total: 30 });
    expect(mine.at(-1)).toMatchObject({ status: 'ready', processed: 30 });
  });
});

describe('retention', () => {
  it("the sweeper deletes an expired backup's object and marks it expired; its download is a 410", async () => {
    const created = await alice.call<BackupView>('POST', '/api/v1/backups', {
      conversationIds: [aliceIds[3]],
    });
    await db.query(
      `UPDATE backup_exports SET expires_at = now() - interval '1 second' WHERE backup_id = $1`,
      [created.body.backup_id],
    );
    await platform.backup!.waitForLine('expired backups removed');
    const view = await alice.call<BackupView>('GET', `/api/v1/backups/${created.body.backup_id}`);
    expect(view.body.status).toBe('expired');
    const { client, bucket } = platform.bucket!;
    await expect(client.statObject(bucket, created.body.file_path)).rejects.toThrow();
    const gone = await alice.call<{ error: { code: string; message: string } }>(
      'GET',
      `/api/backup/download/${created.body.backup_id}`,
    );
    expect(gone.status).toBe(410);
    expect(gone.body.error.message).toContain('expired');
  });
});

describe("seed 003's full export", () => {
  it('streams every conversation of the user as v1.0 (GET /api/backup?includeDemoData=true)', async () => {
    const backup = await fetch(`${platform.baseUrl}/api/backup?includeDemoData=true`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    const backupData = (await backup.json()) as { version: string; conversations: { id: string }[] };
    expect(backupData.version).toBe('1.0');
    expect(backupData.conversations.map((conversation) => conversation.id).sort()).toEqual(
      [...bobIds].sort(),
    );
  });
});
