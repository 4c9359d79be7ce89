// `node apps/batch-orchestrator/dist/cleanup/cleanup-once.main.js`: one cleanup of every user's
// batches that ended more than CLEANUP_DAYS_OLD days ago, asked of the running orchestrators (the
// Kubernetes CronJob runs it). Exits 1 when no orchestrator answers or it refuses.
import { connect } from '@nats-io/transport-node';
import { names } from '@batch/contracts';
import { request } from '@batch/messaging';
import { parseSettings } from '@batch/platform';
import { OrchestratorConfig } from '../config/orchestrator.config.js';

/** Removing many batches may take minutes (the CronJob's activeDeadlineSeconds bounds the job too). */
const CLEANUP_TIMEOUT_MS = 10 * 60_000;

const settings = parseSettings(
  OrchestratorConfig.pick({ NATS_URL: true, NATS_NAMESPACE: true, CLEANUP_DAYS_OLD: true }),
  process.env,
);
const daysOld = settings.CLEANUP_DAYS_OLD;
const nc = await connect({ servers: settings.NATS_URL, name: 'cleanup-once' });
try {
  const subject = names(settings.NATS_NAMESPACE).command('cleanup');
  const reply = await request<{ cleaned_count: number }>(nc, subject, { daysOld }, CLEANUP_TIMEOUT_MS);
  if (reply.ok)
    console.log(`cleanup: removed ${reply.result.cleaned_count} batches that ended over ${daysOld} days ago`);
  else {
    console.error(`cleanup failed: ${reply.error.code}: ${reply.error.message}`);
    process.exitCode = 1;
  }
} finally {
  await nc.close();
}
