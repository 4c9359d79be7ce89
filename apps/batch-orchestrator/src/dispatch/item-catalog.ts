import type { BatchEvent, ItemSpec } from '@batch/contracts';
import type { EventStore } from '@batch/event-store';

/**
 * What each item of a batch asks for, by position, read from its ItemsAdded events: items are only
 * added before a batch starts, so they lead its items subject and the read stops at the first
 * outcome instead of replaying the whole batch.
 */
export async function loadItemSpecs(events: EventStore<BatchEvent>, batchId: string): Promise<ItemSpec[]> {
  const specs: ItemSpec[] = [];
  const seen = new Set<string>();
  for await (const commit of events.read(batchId, 1, 'items')) {
    if (commit.events.some((event) => event.type !== 'ItemsAdded')) break;
    for (const event of commit.events)
      if (event.type === 'ItemsAdded')
        for (const item of event.data.items) {
          if (seen.has(item.id)) continue;
          seen.add(item.id);
          specs.push(item);
        }
  }
  return specs;
}
