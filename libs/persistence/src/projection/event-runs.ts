import type { BatchEvent, EventOf, ItemOutcome, ItemSpec } from '@batch/contracts';

/** An item as an `ItemsAdded` event brings it, with its batch and the time it arrived. */
export interface AddedItem {
  batchId: string;
  item: ItemSpec;
  occurredAt: string;
}

export type LifecycleEvent = Exclude<BatchEvent, ItemOutcome | EventOf<'ItemsAdded'>>;

/**
 * Consecutive events that one set-based statement applies together, in stream order. Lifecycle
 * events are rare and stand alone; item events come in floods and are grouped.
 */
export type EventRun =
  | { kind: 'outcomes'; outcomes: ItemOutcome[] }
  | { kind: 'items-added'; items: AddedItem[] }
  | { kind: 'lifecycle'; event: LifecycleEvent };

/**
 * Groups events into runs. Within a run of outcomes only the first outcome per item and attempt is
 * kept: no requeue happens inside a run, so by the item rule (at `ItemOutcome` in @batch/contracts)
 * a later one changes nothing, and an UPDATE ... FROM joining one row to several outcomes would
 * apply an unspecified one of them. Within a run of added items, only an id's first arrival counts.
 */
export function planRuns(events: readonly BatchEvent[]): EventRun[] {
  const runs: EventRun[] = [];
  let seen = new Set<string>();
  for (const event of events) {
    const last = runs.at(-1);
    switch (event.type) {
      case 'ItemCompleted':
      case 'ItemFailed': {
        let run = last;
        if (run?.kind !== 'outcomes') {
          run = { kind: 'outcomes', outcomes: [] };
          runs.push(run);
          seen = new Set();
        }
        const key = `${event.batchId}\n${event.data.itemId}\n${event.data.attempt}`;
        if (seen.has(key)) break;
        seen.add(key);
        run.outcomes.push(event);
        break;
      }
      case 'ItemsAdded': {
        let run = last;
        if (run?.kind !== 'items-added') {
          run = { kind: 'items-added', items: [] };
          runs.push(run);
          seen = new Set();
        }
        for (const item of event.data.items) {
          const key = `${event.batchId}\n${item.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          run.items.push({ batchId: event.batchId, item, occurredAt: event.occurredAt });
        }
        break;
      }
      default:
        runs.push({ kind: 'lifecycle', event });
    }
  }
  return runs;
}

/** The time of each batch's last event: its `last_checkpoint_at`. */
export function lastEventTimes(events: readonly BatchEvent[]): Map<string, string> {
  const times = new Map<string, string>();
  for (const event of events) times.set(event.batchId, event.occurredAt);
  return times;
}
