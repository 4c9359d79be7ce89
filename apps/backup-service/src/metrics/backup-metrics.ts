import type { Provider } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS } from '@batch/platform';

/** What the backup service counts, on its registry (scraped at its ops port's /metrics). */
export interface BackupMetrics {
  /** A backup ended: ready (with what it wrote) or failed. */
  backupEnded(result: 'ready' | 'failed', written?: { sizeBytes: number; conversationCount: number }): void;
  /** A restore ended: completed (with the records it restored) or failed. */
  restoreEnded(result: 'completed' | 'failed', records?: number): void;
  /** An expiry sweep ended; `ok` sets the time of the last good one (an alert watches its age). */
  sweepEnded(ok: boolean): void;
}

export const BACKUP_METRICS = Symbol('BACKUP_METRICS');

export function createBackupMetrics(registry: Registry): BackupMetrics {
  const backups = new Counter({
    name: 'backups_total',
    help: 'Backups that ended, by result (ready, failed)',
    labelNames: ['result'],
    registers: [registry],
  });
  const backupBytes = new Counter({
    name: 'backup_bytes_total',
    help: 'Bytes (gzip) of the backups written to S3; rate() of it is the backup throughput',
    registers: [registry],
  });
  const backupConversations = new Counter({
    name: 'backup_conversations_total',
    help: 'Conversations written into backups',
    registers: [registry],
  });
  const restores = new Counter({
    name: 'restores_total',
    help: 'Restores that ended, by result (completed, failed)',
    labelNames: ['result'],
    registers: [registry],
  });
  const restoreRecords = new Counter({
    name: 'restore_records_total',
    help: 'Records restored (conversations and turns); rate() of it is the restore throughput',
    registers: [registry],
  });
  const sweeps = new Counter({
    name: 'backup_sweeps_total',
    help: 'Expiry sweeps, by result (ok, failed)',
    labelNames: ['result'],
    registers: [registry],
  });
  const lastSweep = new Gauge({
    name: 'backup_sweep_last_success_timestamp_seconds',
    help: 'When the last expiry sweep ended without an error (Unix time, seconds)',
    registers: [registry],
  });
  return {
    backupEnded(result, written) {
      backups.inc({ result });
      if (!written) return;
      backupBytes.inc(written.sizeBytes);
      backupConversations.inc(written.conversationCount);
    },
    restoreEnded(result, records = 0) {
      restores.inc({ result });
      restoreRecords.inc(records);
    },
    sweepEnded(ok) {
      sweeps.inc({ result: ok ? 'ok' : 'failed' });
      if (ok) lastSweep.setToCurrentTime();
    },
  };
}

export const backupMetricsProvider: Provider = {
  provide: BACKUP_METRICS,
  inject: [METRICS],
  useFactory: createBackupMetrics,
};
