import { ensureInfrastructure, runChaos } from '@batch/testing';
import { build } from '../build/build.mjs';

/**
 * `npm run chaos`: a batch run while the services are SIGKILLed at random, then the count of what
 * was lost, stored twice or paid for twice. CHAOS_ROUNDS (20), CHAOS_ITEMS (10,000),
 * CHAOS_INTERVAL_MS (3,000), CHAOS_WORKERS (2), CHAOS_SEED (a new one each run, printed);
 * CHAOS_LOGS (a folder for the services' logs) and CHAOS_LOG_LEVEL (info).
 */
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const options = {
  rounds: setting('CHAOS_ROUNDS', 20),
  items: setting('CHAOS_ITEMS', 10_000),
  intervalMs: setting('CHAOS_INTERVAL_MS', 3_000),
  workers: setting('CHAOS_WORKERS', 2),
  seed: setting('CHAOS_SEED', Date.now() % 2 ** 31),
  ...(process.env.CHAOS_LOGS ? { logsDir: process.env.CHAOS_LOGS } : {}),
  ...(process.env.CHAOS_LOG_LEVEL ? { logLevel: process.env.CHAOS_LOG_LEVEL } : {}),
};
// The services run from dist/, built first (only what changed).
await build();
const infrastructure = await ensureInfrastructure();
Object.assign(process.env, infrastructure.env);
console.log(
  `chaos: ${options.items} items, ${options.rounds} SIGKILLs every ${options.intervalMs} ms over the orchestrator, ` +
    `the gateway and ${options.workers} workers, seed ${options.seed}`,
);
try {
  const report = await runChaos({
    ...options,
    onKill: (kill) =>
      console.log(`  round ${kill.round}: SIGKILL ${kill.service} (pid ${kill.pid}) at ${kill.atMs} ms`),
  });
  const checks = [
    ['status', report.finalStatus, report.finalStatus === 'completed'],
    ['processed', report.processedCount, report.processedCount === report.items],
    ['lost', report.lost, report.lost === 0],
    ['stored twice', report.duplicates, report.duplicates === 0],
    [
      'provider calls beyond one per item',
      `${report.repeatedCalls} (bound ${report.repeatBound})`,
      report.repeatedCalls <= report.repeatBound,
    ],
    ['repeats not of a killed worker', report.unexplainedRepeats, report.unexplainedRepeats === 0],
  ] as const;
  const { longestStall } = report;
  console.log(
    `\n${report.kills.length} kills in ${(report.durationMs / 1000).toFixed(1)} s; ` +
      `longest time without a completed item ${longestStall.ms} ms, from ${longestStall.fromMs} ms`,
  );
  for (const [name, value, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${value}`);
  const counted = new Map<string, number>();
  for (const warning of report.warnings) counted.set(warning, (counted.get(warning) ?? 0) + 1);
  console.log(`warnings and errors the services logged: ${report.warnings.length}`);
  for (const [warning, count] of counted) console.log(`  ${count} x ${warning}`);
  process.exitCode = checks.every(([, , ok]) => ok) ? 0 : 1;
} finally {
  await infrastructure.stop();
}
