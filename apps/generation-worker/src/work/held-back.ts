import { isDeepStrictEqual } from 'node:util';
import type { DataSource } from 'typeorm';
import { storableJson, type BatchConfig } from '@batch/contracts';
import { batchRunState } from '@batch/persistence';

/** A batch's state is looked up at most this often: many messages of one batch ask together. */
const LOOKUP_EVERY_MS = 250;

type RunState = Awaited<ReturnType<typeof batchRunState>>;

/**
 * Whether the read model holds a work message back: its batch is paused, or it runs in a config
 * other than the message's (resumed with overrides; the orchestrator purges and resends such
 * work). Status and config change together in the read model, so its lag can delay work, never
 * let stale work through. Lookups are shared by a batch's messages for a moment.
 */
export function heldBackLookup(ds: DataSource): (batchId: string, config: BatchConfig) => Promise<boolean> {
  const recent = new Map<string, { at: number; state: Promise<RunState> }>();
  function stateOf(batchId: string): Promise<RunState> {
    const now = Date.now();
    const known = recent.get(batchId);
    if (known && now - known.at < LOOKUP_EVERY_MS) return known.state;
    // A failed lookup holds nothing back: the purge remains what stops work.
    const state = batchRunState(ds, batchId).catch(() => undefined);
    recent.set(batchId, { at: now, state });
    for (const [id, entry] of recent) if (now - entry.at > 10 * LOOKUP_EVERY_MS) recent.delete(id);
    return state;
  }
  return async (batchId, config) => {
    const state = await stateOf(batchId);
    if (!state) return false;
    return (
      state.status === 'paused' ||
      (state.status === 'running' && !isDeepStrictEqual(state.config, storableJson(config)))
    );
  };
}
