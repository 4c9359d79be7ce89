import { expect, it } from '@jest/globals';
import { runChaos } from '@batch/testing';

/** The short version of `npm run chaos`: a few SIGKILLs of random services while a batch runs. */
it('loses nothing, stores nothing twice, and calls the provider again only for what killed workers had called', async () => {
  const report = await runChaos({
    items: 2_000,
    rounds: 4,
    intervalMs: 2_000,
    workers: 2,
    seed: Number(process.env.CHAOS_SEED ?? 3),
  });

  // Seed 3 kills a worker, the orchestrator and the gateway first.
  expect(report.kills.slice(0, 3).map((kill) => kill.service)).toEqual(
    expect.arrayContaining(['orchestrator', 'gateway', expect.stringMatching(/^worker-/)]),
  );
  expect(report).toMatchObject({ finalStatus: 'completed', processedCount: 2_000, lost: 0, duplicates: 0 });
  expect(report.unexplainedRepeats).toBe(0);
  expect(report.repeatedCalls).toBeLessThanOrEqual(report.repeatBound);
}, 600_000);
