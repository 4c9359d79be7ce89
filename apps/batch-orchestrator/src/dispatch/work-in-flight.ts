import type { JetStreamManager } from '@nats-io/jetstream';
import type { Names } from '@batch/contracts';
import { WorkMessage } from '@batch/messaging';

/**
 * The work of a batch still in the queue: handed to workers and not yet acknowledged. Read when a
 * replica takes a batch over, so nothing is sent twice.
 */
export async function queuedWork(
  jsm: JetStreamManager,
  names: Names,
  batchId: string,
): Promise<WorkMessage[]> {
  const queued: WorkMessage[] = [];
  let seq = 0;
  for (;;) {
    const stored = await jsm.direct.getMessage(names.workStream, {
      next_by_subj: names.work(batchId),
      seq: seq + 1,
    });
    if (!stored) return queued;
    seq = stored.seq;
    queued.push(WorkMessage.parse(stored.json()));
  }
}
