import type { JetStreamManager } from '@nats-io/jetstream';

/** How often a message in process is looked up again: pauses take effect within about this long. */
export const STILL_QUEUED_EVERY_MS = 250;

/**
 * Whether a work message is still in the work stream. The orchestrator purges a batch's queued work
 * when it cancels it (or re-sends it in a new config), and a message still unacknowledged is purged
 * too: the worker holding it then knows to leave its remaining items alone. The stream is
 * the truth here, so nothing missed or stale can make a worker drop work the orchestrator counts on.
 * Looked up at most every `everyMs`; once gone, gone. A failed lookup counts as still queued.
 */
export function stillQueued(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
  now: () => number = Date.now,
  everyMs = STILL_QUEUED_EVERY_MS,
): () => Promise<boolean> {
  let checkedAt = -Infinity;
  let queued = true;
  return async () => {
    if (!queued || now() - checkedAt < everyMs) return queued;
    checkedAt = now();
    try {
      queued = (await jsm.direct.getMessage(stream, { seq })) !== null;
    } catch {
      queued = true;
    }
    return queued;
  };
}
