import type { BatchEvent, ItemSpec } from '@batch/contracts';
import type { EventStore, StoredCommit } from '@batch/event-store';

/** The item table's ids by position (`ItemIds`, or an array). */
type ItemIdsAt = { at(position: number): string | undefined };

/** One ItemsAdded commit: where it is in the log and the positions of the items it added. */
interface Segment {
  seq: number;
  first: number;
  count: number;
}

/** Items whose specs stay decoded between passes, beyond the ones a pass asks for. */
export const CATALOG_CACHED_ITEMS = 50_000;

/**
 * What each item of a running batch asks for (its topic and parameters), read from its ItemsAdded
 * commits as dispatch reaches them, never the whole batch at once: a few commits stay decoded, and
 * one asked for again after it was dropped (a retried item behind the cursor) is read again by its
 * sequence. Items are only added before a batch starts, so their commits lead the batch's items
 * subject and the reading stops at the first outcome.
 *
 * An item's position is the one the batch's item table gave it: its id's first appearance. An id
 * added again (two add-items racing past the decider's check) is skipped, as the table skipped it.
 */
export class ItemCatalog {
  private readonly segments: Segment[] = [];
  /** Decoded specs by segment number, least recently used first. */
  private readonly decoded = new Map<number, ItemSpec[]>();
  private decodedItems = 0;
  /** Positions covered by the segments read so far. */
  private end = 0;
  private nextSeq = 1;

  constructor(
    private readonly events: EventStore<BatchEvent>,
    private readonly batchId: string,
    private readonly cachedItems = CATALOG_CACHED_ITEMS,
  ) {}

  /** The specs of the items at these positions, in the order asked; `ids` is the item table's. */
  async specsAt(positions: readonly number[], ids: ItemIdsAt): Promise<ItemSpec[]> {
    const last = positions.reduce((max, position) => Math.max(max, position), -1);
    while (this.end <= last) await this.readForward(ids);
    const specs: ItemSpec[] = [];
    const used = new Set<number>();
    for (const position of positions) {
      const segment = this.segmentOf(position);
      used.add(segment);
      const segmentSpecs = this.decoded.get(segment) ?? (await this.readAgain(segment, ids));
      specs.push(segmentSpecs[position - this.segments[segment]!.first]!);
    }
    this.evict(used);
    return specs;
  }

  private async readForward(ids: ItemIdsAt): Promise<void> {
    const commit = await this.events.readOne(this.batchId, this.nextSeq, 'items');
    if (!commit || commit.events.some((event) => event.type !== 'ItemsAdded'))
      throw new Error(`batch ${this.batchId} has no ItemsAdded event for its item at ${this.end}`);
    this.nextSeq = commit.seq + 1;
    const specs = specsOf(commit, ids, this.end);
    if (specs.length === 0) return;
    this.segments.push({ seq: commit.seq, first: this.end, count: specs.length });
    this.end += specs.length;
    this.keep(this.segments.length - 1, specs);
  }

  private async readAgain(segment: number, ids: ItemIdsAt): Promise<ItemSpec[]> {
    const { seq, first, count } = this.segments[segment]!;
    const commit = await this.events.readOne(this.batchId, seq, 'items');
    const specs = commit?.seq === seq ? specsOf(commit, ids, first) : [];
    if (specs.length !== count)
      throw new Error(`the ItemsAdded commit ${seq} of batch ${this.batchId} is no longer readable`);
    this.keep(segment, specs);
    return specs;
  }

  private keep(segment: number, specs: ItemSpec[]): void {
    this.decoded.set(segment, specs);
    this.decodedItems += specs.length;
  }

  /** Drops the least recently used segments beyond the budget, keeping those just used. */
  private evict(used: ReadonlySet<number>): void {
    for (const segment of used) {
      const specs = this.decoded.get(segment)!;
      this.decoded.delete(segment);
      this.decoded.set(segment, specs);
    }
    for (const [segment, specs] of this.decoded) {
      if (this.decodedItems <= this.cachedItems || used.has(segment)) break;
      this.decoded.delete(segment);
      this.decodedItems -= specs.length;
    }
  }

  private segmentOf(position: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.segments[middle]!.first <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

/** The items of an ItemsAdded commit that took the positions from `first` on in the item table. */
function specsOf(commit: StoredCommit<BatchEvent>, ids: ItemIdsAt, first: number): ItemSpec[] {
  const specs: ItemSpec[] = [];
  for (const event of commit.events)
    if (event.type === 'ItemsAdded')
      for (const item of event.data.items) if (ids.at(first + specs.length) === item.id) specs.push(item);
  return specs;
}
