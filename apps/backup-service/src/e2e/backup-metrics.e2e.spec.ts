import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { RestoreResult, SeedBackupCreated } from '@batch/contracts';
import { type Caller, type Platform, schemaClient, seedConversations, startPlatform } from '@batch/testing';

let platform: Platform;
let db: pg.Client;
let carol: Caller;

beforeAll(async () => {
  platform = await startPlatform({}, {}, { backups: true, backupEnv: { BACKUP_SWEEP_INTERVAL_MS: '200' } });
  db = await schemaClient(platform);
  carol = await platform.as('carol');
}, 120_000);
afterAll(async () => {
  await db?.end();
  await platform?.close();
});

/** The backup service's /metrics, as `name{labels}` -> value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(`${platform.backup!.opsUrl}/metrics`)).text();
  return new Map(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const at = line.lastIndexOf(' ');
        return [line.slice(0, at), Number(line.slice(at + 1))] as const;
      }),
  );
}

describe("the backup service's metrics (backups, restores, the sweeper)", () => {
  it('counts a backup made and its bytes, a restore and its records, and the last good sweep', async () => {
    const before = await scrape();
    const ids = await seedConversations(db, { userId: 'carol', prefix: 'm', count: 5 });
    const created = await carol.call<SeedBackupCreated>('POST', '/api/backup/create', {
      conversationIds: ids,
      reason: 'metrics',
    });
    expect(created.status).toBe(200);
    const restored = await carol.call<RestoreResult>(
      'POST',
      `/api/v1/backups/${created.body.backupId}/restore?wait=true`,
    );
    expect(restored.status).toBe(200);

    const after = await scrape();
    const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(grew('backups_total{result="ready"}')).toBe(1);
    expect(grew('backup_conversations_total')).toBe(5);
    expect(grew('backup_bytes_total')).toBeGreaterThan(100);
    expect(grew('restores_total{result="completed"}')).toBe(1);
    expect(grew('restore_records_total')).toBe(restored.body.processed);
    // The sweeper runs at start and every 200 ms here: it has swept by now.
    expect(after.get('backup_sweeps_total{result="ok"}')).toBeGreaterThan(0);
    expect(after.get('backup_sweep_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
