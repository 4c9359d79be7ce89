import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDataSource, runMigrations } from '@batch/persistence';
import { ensureInfrastructure, testDatabase } from '@batch/testing';
import { prepareRestore } from './restorer.js';
import { DEFAULT_RESTORE_BATCH_SIZE } from './restore-writer.js';

/**
 * Restores 100,000 conversations of 5 turns (600,000 rows) from a v1.0 file on disk into a fresh
 * schema, and prints rows/s and the peak RSS. A measurement, not a test: run it outside jest,
 * whose module sandbox slows the JSON parser down several times.
 *
 *   node --conditions=@batch/source --import @swc-node/register/esm-register \
 *     apps/backup-service/src/restore/restore-throughput.bench.ts
 *
 * RESTORE_BENCH_CONVERSATIONS, RESTORE_BATCH_SIZE and RESTORE_CONNECTIONS change the run.
 */
const CONVERSATIONS = Number(process.env.RESTORE_BENCH_CONVERSATIONS ?? 100_000);
const TURNS_PER_CONVERSATION = 5;
const ROWS = CONVERSATIONS * (1 + TURNS_PER_CONVERSATION);
const BATCH_SIZE = Number(process.env.RESTORE_BATCH_SIZE ?? DEFAULT_RESTORE_BATCH_SIZE);
const CONNECTIONS = process.env.RESTORE_CONNECTIONS ? Number(process.env.RESTORE_CONNECTIONS) : undefined;

/** A v1.0 backup as our backups write it, conversation by conversation (never whole in memory). */
async function writeBackupFile(path: string): Promise<void> {
  async function* document() {
    yield '{"version":"1.0","createdAt":"2026-01-10T12:00:00.000Z","backupReason":"bench","conversations":[';
    for (let index = 0; index < CONVERSATIONS; index += 1) {
      const id = `conversation-${index}`;
      const conversation = {
        id,
        content: `conversation ${index}: ${'dolor sit amet '.repeat(12)}`,
        persona: 'Expert',
        topic: `topic ${index % 100}`,
        batch_id: 'batch-bench',
        item_id: `item-${index}`,
        created_at: '2026-01-10T11:00:00.123456+00:00',
        conversation_turns: Array.from({ length: TURNS_PER_CONVERSATION }, (_, sequence) => ({
          id: `${id}-turn-${sequence}`,
          content: `turn ${sequence} of ${id}: ${'lorem ipsum '.repeat(8)}`,
          role: sequence % 2 === 0 ? 'user' : 'assistant',
          sequence,
        })),
      };
      yield (index === 0 ? '' : ',') + JSON.stringify(conversation);
    }
    yield ']}';
  }
  await pipeline(Readable.from(document()), createWriteStream(path));
}

/** Written by a child process, so that none of the writing is in this process's memory. */
async function backupFileOf(path: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), WRITE_FILE, path],
    {
      stdio: 'inherit',
    },
  );
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`writing the backup file exited with ${code}`);
  return (await stat(path)).size;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

const WRITE_FILE = '--write-backup-file';
if (process.argv[2] === WRITE_FILE) {
  await writeBackupFile(process.argv[3]!);
  process.exit(0);
}

const infrastructure = await ensureInfrastructure();
Object.assign(process.env, infrastructure.env);
const db = await testDatabase();
const ds = await createDataSource({ url: db.url, schema: db.schema });
const directory = await mkdtemp(join(tmpdir(), 'restore-bench-'));
try {
  await runMigrations(ds);
  const path = join(directory, 'backup.json');
  const size = await backupFileOf(path);
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const loadBefore = loadavg()[0]!;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const prepared = await prepareRestore({
    ds,
    open: async () => createReadStream(path),
    userId: 'user-bench',
    restoreId: `restore-${Date.now()}-bench`,
    source: { uploadKey: 'bench.json' },
    batchSize: BATCH_SIZE,
    ...(CONNECTIONS === undefined ? {} : { connectionCount: CONNECTIONS }),
  });
  const inspected = performance.now();
  const result = await prepared.run();
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const [{ rows }] = await ds.query(
    `SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM conversation_turns) AS rows`,
  );
  if (!result.success || result.processed !== ROWS || Number(rows) !== ROWS)
    throw new Error(`restored ${rows} rows of ${ROWS}: ${JSON.stringify(result.errors.slice(0, 5))}`);
  console.log(
    [
      `machine: ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, ` +
        `load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
      `file: ${CONVERSATIONS.toLocaleString('en-US')} conversations × ${TURNS_PER_CONVERSATION} turns, ${mib(size)} of JSON`,
      `restore: ${ROWS.toLocaleString('en-US')} rows in ${Math.round(elapsed)} ms ` +
        `= ${Math.round(ROWS / (elapsed / 1000)).toLocaleString('en-US')} rows/s ` +
        `(check pass ${Math.round(inspected - started)} ms, writing ${Math.round(elapsed - (inspected - started))} ms; ` +
        `statements of ${BATCH_SIZE} rows)`,
      `this process: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU; RSS ${mib(rssBefore)} before, peak ${mib(peakRss)}`,
    ].join('\n'),
  );
} finally {
  await ds.destroy();
  await db.close();
  await rm(directory, { recursive: true, force: true });
  await infrastructure.stop();
}
