import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { Names } from '@batch/contracts';
import { inTransaction } from '../sql.js';
import { createBatchProjector } from './batch.projector.js';
import { BATCHES_PROJECTION } from './projection-checkpoint.js';

export interface RebuildOptions {
  ds: DataSource;
  nc: NatsConnection;
  names: Names;
  batchSize?: number;
}

export interface RebuildResult {
  /** The stream's last sequence when the rebuild began: everything up to it is applied. */
  lastSeq: number;
  events: number;
  messages: number;
}

/**
 * Empties `batches`, `batch_items`, their checkpoint and the commits set aside, then replays the whole event stream into
 * them; returns once everything the stream held at the call is applied. Conversations are kept (the
 * worker writes them). Projectors running meanwhile find the checkpoint gone back and start over
 * from it, taking turns with this one.
 */
export async function rebuildProjections(options: RebuildOptions): Promise<RebuildResult> {
  const { ds, nc, names } = options;
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(names.eventsStream);
  await inTransaction(ds, async (runner) => {
    await runner.query('TRUNCATE batch_items, batches');
    await runner.query('DELETE FROM projection_checkpoints WHERE name = $1', [BATCHES_PROJECTION]);
    await runner.query('DELETE FROM projection_set_aside WHERE projection = $1', [BATCHES_PROJECTION]);
  });
  const result: RebuildResult = { lastSeq: state.last_seq, events: 0, messages: 0 };
  if (state.messages === 0) return result;

  let done!: () => void;
  let failed!: (error: unknown) => void;
  const caughtUp = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  const projector = createBatchProjector({
    ds,
    nc,
    names,
    name: BATCHES_PROJECTION,
    batchSize: options.batchSize,
    onApplied: (applied) => {
      result.events += applied.events;
      result.messages += applied.messages;
      // At the head counts too: the last messages may have been purged, leaving last_seq unreachable.
      if (applied.seq >= state.last_seq || applied.atHead) done();
    },
    onError: failed,
  });
  await projector.start();
  try {
    await caughtUp;
  } finally {
    await projector.stop();
  }
  return result;
}
