import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BatchEvent, Names } from '@batch/contracts';

/**
 * A batch's last decision is looked up at most this often (many messages of one batch ask
 * together), unless a decision is heard meanwhile.
 */
const LOOKUP_EVERY_MS = 250;

/** What the decisions since a message was sent mean for it: go on, wait, or let it go. */
export type Verdict = 'go' | 'hold' | 'drop';

export interface LifecycleVerdicts {
  /** What the batch's decisions since a message was sent (at that lifecycle sequence) mean for it. */
  verdict(batchId: string, sinceLifecycleSeq: number): Promise<Verdict>;
  /** Resolves when the batch's next decision is heard, or after `atMostMs` (a decision may go unheard). */
  nextDecision(batchId: string, atMostMs: number): Promise<void>;
  /** Stops listening for decisions; whoever waits for one is woken. */
  close(): void;
}

/**
 * What the log says of a work message, from the batch's lifecycle decisions since it was sent: held
 * back while the batch is paused, or resumed with new settings (the orchestrator purges such work
 * and sends it again); let go once the batch has ended (completed, failed, cancelled, discarded:
 * its items are settled or abandoned). The log is the truth: a read model lagging behind a crash can
 * never let stale work through. Lookups are shared by a batch's messages for a moment; a decision
 * as it is made (heard on its subject) ends that moment and wakes the messages waiting on the batch,
 * so a resume starts held work at once.
 */
export function lifecycleVerdicts(
  nc: NatsConnection,
  jsm: JetStreamManager,
  names: Names,
  lookupEveryMs = LOOKUP_EVERY_MS,
): LifecycleVerdicts {
  const lastSeqs = new Map<string, { at: number; seq: Promise<number> }>();
  const waiting = new Map<string, Set<() => void>>();
  const decisions = nc.subscribe(names.eventSubject('*', 'lifecycle'), {
    callback: (error, message) => {
      const batchId = names.eventOf(message.subject)?.batchId;
      if (error || !batchId) return;
      lastSeqs.delete(batchId);
      const wakes = waiting.get(batchId);
      waiting.delete(batchId);
      wakes?.forEach((wake) => wake());
    },
  });

  function nextDecision(batchId: string, atMostMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wakes = waiting.get(batchId) ?? new Set();
      waiting.set(batchId, wakes);
      const wake = () => {
        clearTimeout(timer);
        wakes.delete(wake);
        if (wakes.size === 0 && waiting.get(batchId) === wakes) waiting.delete(batchId);
        resolve();
      };
      const timer = setTimeout(wake, atMostMs);
      wakes.add(wake);
    });
  }

  function lastLifecycleSeq(batchId: string): Promise<number> {
    const now = Date.now();
    const known = lastSeqs.get(batchId);
    if (known && now - known.at < lookupEveryMs) return known.seq;
    const seq = jsm.direct
      .getMessage(names.eventsStream, { last_by_subj: names.eventSubject(batchId, 'lifecycle') })
      .then((stored) => stored?.seq ?? 0);
    lastSeqs.set(batchId, { at: now, seq });
    for (const [id, entry] of lastSeqs) if (now - entry.at > 10 * lookupEveryMs) lastSeqs.delete(id);
    return seq;
  }

  async function decisionsSince(batchId: string, seq: number, last: number): Promise<BatchEvent[]> {
    const events: BatchEvent[] = [];
    for (let cursor = seq; cursor < last;) {
      const stored = await jsm.direct.getMessage(names.eventsStream, {
        next_by_subj: names.eventSubject(batchId, 'lifecycle'),
        seq: cursor + 1,
      });
      if (!stored) break;
      events.push(...stored.json<BatchEvent[]>());
      cursor = stored.seq;
    }
    return events;
  }

  const ENDED = new Set<BatchEvent['type']>([
    'BatchCompleted',
    'BatchFailed',
    'BatchCancelled',
    'BatchDiscarded',
  ]);
  async function verdict(batchId: string, sinceLifecycleSeq: number): Promise<Verdict> {
    try {
      const last = await lastLifecycleSeq(batchId);
      if (last <= sinceLifecycleSeq) return 'go';
      let paused = false;
      let configChanged = false;
      for (const event of await decisionsSince(batchId, sinceLifecycleSeq, last)) {
        if (ENDED.has(event.type)) return 'drop';
        if (event.type === 'BatchPaused') paused = true;
        if (event.type === 'BatchResumed') {
          paused = false;
          // Its work is purged and sent again in the new settings by the orchestrator, which counts
          // it in flight until then: held, never dropped here.
          configChanged ||= Object.keys(event.data.configOverrides ?? {}).length > 0;
        }
      }
      return paused || configChanged ? 'hold' : 'go';
    } catch {
      // Unknown: hold nothing back; the purge remains what stops work.
      return 'go';
    }
  }

  function close(): void {
    decisions.unsubscribe();
    for (const wakes of [...waiting.values()]) wakes.forEach((wake) => wake());
  }

  return { verdict, nextDecision, close };
}
